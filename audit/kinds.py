"""Labels of audit event kinds. Each app registers its own kinds in AppConfig.ready().

The kinds of the changes that existed before the audit log (team settings, members, invitations,
gallery deletions) are listed here and registered by the audit app itself; a kind nobody
registered still shows, under its own name.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

_LABELS: dict[str, object] = {}

CORE_KINDS = {
    "team.created": _("Team created"),
    "team.renamed": _("Team renamed"),
    "api_key.set": _("API key set"),
    "api_key.changed": _("API key changed"),
    "api_key.removed": _("API key removed"),
    "api_key.rotated": _("API key re-encrypted"),
    "base_url.changed": _("Base URL changed"),
    "role.changed": _("Role changed"),
    "invitation.created": _("Invitation created"),
    "invitation.revoked": _("Invitation revoked"),
    "invitation.accepted": _("Invitation accepted"),
    "invitation.changed": _("Invitation changed (admin site)"),
    "member.invited": _("Person added by e-mail"),
    "member.added": _("Member added"),
    "member.removed": _("Member removed"),
    "gallery.deleted": _("Gallery items deleted"),
    "gallery.restored": _("Gallery items restored"),
    "gallery.purged": _("Trash purged"),
    "asset.deleted": _("Asset deleted"),
}


def register(labels) -> None:
    _LABELS.update(labels)


def label(kind: str) -> str:
    return str(_LABELS.get(kind, kind))


def known(kind: str) -> bool:
    return kind in _LABELS


def choices() -> list[tuple[str, str]]:
    return sorted(((k, str(v)) for k, v in _LABELS.items()), key=lambda kv: kv[1])
