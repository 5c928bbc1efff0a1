"""The site header's switchers, user menu and navigation, built as strings (`{% load layout %}`).

Every page renders the layout, and as template it cost about as much as the item page's own
content: ≈ 130 nodes, nine `{% url %}`s with nine `request.resolver_match` comparisons for the
navigation, three forms with their CSRF fields, the language list rebuilt for every page
(`get_language_info_list`), a `get_role_display` per membership. Here:

- the navigation is a pure function of the language, the URLconf and script prefix, the page's
  URL name and app, and whether the person sees Operations: built once per process for each
  such key and remembered (a handful of entries);
- the language list, the fixed words and the forms' URLs are built once per process and
  language; what belongs to the request (CSRF token, the page's path, the person's teams and
  name) is put in on every render, escaped as the template escaped it.

The HTML is the template's (tests/test_layout_html.py renders the old template next to these
for signed-in, staff, anonymous and both languages, and compares them).
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import (
    get_language,
    get_language_info,
    gettext,
    ngettext,
    pgettext,
)
from django_htmx.jinja import htmx_script

from zcheap_site.fast_url import cached_reverse

register = template.Library()

_CSRF = CsrfTokenNode()
_fixed: dict[str, dict[str, str]] = {}
_navs: dict[tuple, str] = {}
_scripts: dict[bool, str] = {}


@receiver(setting_changed)
def _forget(setting, **kwargs) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "ROOT_URLCONF"}:
        _fixed.clear()
        _navs.clear()
    if setting in {"DEBUG", "STATIC_URL", "STATIC_ROOT", "STORAGES"}:
        _scripts.clear()


@register.simple_tag(takes_context=True)
def site_htmx_script(context) -> SafeString:
    """django-htmx's `{% htmx_script %}`, remembered: without a CSP nonce its output depends only
    on DEBUG and the static files' URLs, fixed for the life of a process."""
    nonce = context.get("csp_nonce")
    if nonce is not None:
        return htmx_script(nonce=nonce)
    found = _scripts.get(settings.DEBUG)
    if found is None:
        found = _scripts[settings.DEBUG] = htmx_script()
    return mark_safe(found)  # noqa: S308 - django-htmx's own safe output


def _words() -> dict[str, str]:
    """What the header shows that depends only on the language (and the URLconf): escaped."""
    language = get_language() or ""
    key = f"{language}|{get_script_prefix()}|{get_urlconf() or settings.ROOT_URLCONF}"
    found = _fixed.get(key)
    if found is None:
        options = []
        for code, _name in settings.LANGUAGES:
            info = get_language_info(code)
            selected = "selected" if info["code"] == language else ""
            options.append(
                f'<option value="{escape(info["code"])}" {selected}>'
                f"{escape(info['name_local'])}</option>"
            )
        found = _fixed[key] = {
            "menu": escape(gettext("Menu")),
            "current_team": escape(gettext("Current team")),
            "switch": escape(gettext("Switch")),
            "language": escape(gettext("Language")),
            "go": escape(gettext("Go")),
            "change_password": escape(gettext("Change password")),
            "site_admin": escape(gettext("Site administration")),
            "operations": escape(pgettext("worker health page", "Operations")),
            "log_out": escape(gettext("Log out")),
            "notifications": escape(gettext("Notifications")),
            "inbox_url": escape(cached_reverse("notifications:inbox")),
            "languages": "\n            ".join(options),
            "home": escape(cached_reverse("home")),
            "switch_team": escape(cached_reverse("accounts:switch_team")),
            "set_language": escape(cached_reverse("set_language")),
            "password_url": escape(cached_reverse("account_change_password")),
            "admin_url": escape(cached_reverse("admin:index")),
            "operations_url": escape(cached_reverse("operations:index")),
            "logout_url": escape(cached_reverse("account_logout")),
        }
    return found


def _full_path(context) -> str:
    request = context.get("request")
    return escape(request.get_full_path()) if request is not None else ""


def _signed_in(context):
    user = context.get("user")
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@register.simple_tag(takes_context=True)
def site_brand(context) -> SafeString:
    """The brand link and, for a signed-in person, the menu button of narrow screens."""
    w = _words()
    html = (
        f'<a class="brand" href="{w["home"]}"><span class="brand-mark" aria-hidden="true">Z'
        "</span> Zcheap Studio</a>"
    )
    if _signed_in(context):
        html += (
            '\n      <button class="nav-toggle" type="button" aria-expanded="false" '
            'aria-controls="site-nav" data-nav-toggle>\n        <span class="visually-hidden">'
            f"{w['menu']}</span>☰\n      </button>"
        )
    return mark_safe(html)  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def site_switchers(context) -> SafeString:
    """The team switcher (signed in, with teams) and the language switcher."""
    w = _words()
    csrf = _CSRF.render(context)
    path = _full_path(context)
    html = ""
    memberships = context.get("user_memberships")
    if _signed_in(context) and memberships:
        team = context.get("current_team")
        current = team.pk if team is not None else None
        options = "".join(
            f'\n            <option value="{m.team_id}" '
            f"{'selected' if m.team_id == current else ''}>{escape(m.team.name)} · "
            f"{escape(m.get_role_display())}</option>"
            for m in memberships
        )
        html += (
            f'<form method="post" action="{w["switch_team"]}" class="team-switcher" '
            f"data-autosubmit>\n          {csrf}\n"
            f'          <input type="hidden" name="next" value="{path}">\n'
            f'          <label for="team-switch" class="visually-hidden">{w["current_team"]}'
            "</label>\n"
            f'          <select id="team-switch" name="team_id" data-autosubmit-field>{options}\n'
            "          </select>\n"
            '          <noscript><button type="submit" class="btn btn-small">'
            f"{w['switch']}</button></noscript>\n        </form>\n        "
        )
    html += (
        f'<form action="{w["set_language"]}" method="post" class="lang-switcher" '
        f"data-autosubmit>\n          {csrf}\n"
        f'          <input name="next" type="hidden" value="{path}">\n'
        f'          <label for="lang-switch" class="visually-hidden">{w["language"]}</label>\n'
        '          <select id="lang-switch" name="language" data-autosubmit-field>\n'
        f"            {w['languages']}\n          </select>\n"
        '          <noscript><button type="submit" class="btn btn-small">'
        f"{w['go']}</button></noscript>\n        </form>"
    )
    return mark_safe(html)  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def site_user_menu(context) -> SafeString:
    """A signed-in person's menu: password, administration (staff), log out."""
    user = _signed_in(context)
    if user is None:
        return mark_safe("")
    w = _words()
    links = f'<a href="{w["password_url"]}">{w["change_password"]}</a>'
    if user.is_staff:
        links += f'\n            <a href="{w["admin_url"]}">{w["site_admin"]}</a>'
        if not context.get("current_team"):
            links += f'\n            <a href="{w["operations_url"]}">{w["operations"]}</a>'
    return mark_safe(  # noqa: S308 - every value is escaped
        '<details class="user-menu">\n'
        f"          <summary>{escape(user.label)}</summary>\n"
        '          <div class="menu">\n'
        f"            {links}\n"
        f'            <form method="post" action="{w["logout_url"]}">{_CSRF.render(context)}'
        f'<button type="submit" class="linklike">{w["log_out"]}</button></form>\n'
        "          </div>\n        </details>"
    )


BELL_ICON = (
    '<svg class="bell-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" '
    'focusable="false"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 '
    "0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-"
    '1Z"/></svg>'
)


@register.simple_tag(takes_context=True)
def site_bell(context) -> SafeString:
    """The notifications bell of a signed-in member of the current team, with the unread count
    kept on their membership (no query)."""
    if _signed_in(context) is None or not context.get("current_team"):
        return mark_safe("")
    w = _words()
    n = getattr(context.get("current_membership"), "unread_notifications", 0)
    count = ""
    if n:
        unread = escape(ngettext("%(n)s unread", "%(n)s unread", n) % {"n": n})
        count = (
            f'<span class="bell-count" data-bell-count>{escape(n)}</span>'
            f'<span class="visually-hidden">{unread}</span>'
        )
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<a class="bell" href="{w["inbox_url"]}" data-bell title="{w["notifications"]}">'
        f'{BELL_ICON}<span class="visually-hidden">{w["notifications"]}</span>{count}</a>'
    )


# The navigation: (URL name, label, how the link knows it is the current page).
NAV = [
    ("group", "Create"),
    ("gallery:create_image", "Image", ("url_name", "create_image")),
    ("gallery:create_mj", "Midjourney", ("url_name", "create_mj")),
    ("gallery:create_video", "Video", ("url_name", "create_video")),
    ("sep",),
    ("gallery:history", "History", ("url_name", "history")),
    ("gallery:browse", "Gallery", ("url_name", "browse")),
    ("assets:index", "Assets", ("app_name", "assets")),
    ("spend:usage", "Usage", ("spend", "")),
    ("accounts:team_settings", "Team", ("url_name", "team_settings")),
]


def _current(how: tuple[str, str], url_name: str, app_name: str) -> bool:
    kind, value = how
    if kind == "url_name":
        return url_name == value
    if kind == "app_name":
        return app_name == value
    return app_name == "spend" and url_name != "budgets"  # Usage, not the budgets page


def _nav(url_name: str, app_name: str, operations: bool) -> str:
    words = {
        "Create": gettext("Create"),
        "Image": gettext("Image"),
        "Midjourney": gettext("Midjourney"),
        "Video": gettext("Video"),
        "History": gettext("History"),
        "Gallery": gettext("Gallery"),
        "Assets": gettext("Assets"),
        "Usage": gettext("Usage"),
        "Team": gettext("Team"),
    }
    main = escape(gettext("Main"))  # not inside an f-string: makemessages would miss it
    parts = [f'<nav id="site-nav" class="site-nav" aria-label="{main}">']
    for entry in NAV:
        if entry[0] == "group":
            parts.append(f'<span class="nav-group-label">{escape(words[entry[1]])}</span>')
        elif entry[0] == "sep":
            parts.append('<span class="nav-sep" aria-hidden="true"></span>')
        else:
            name, label, how = entry
            current = ' aria-current="page"' if _current(how, url_name, app_name) else " "
            parts.append(
                f'<a href="{escape(cached_reverse(name))}"{current}>{escape(words[label])}</a>'
            )
    if operations:
        current = ' aria-current="page"' if app_name == "operations" else " "
        label = escape(pgettext("worker health page", "Operations"))
        parts.append(f'<a href="{escape(cached_reverse("operations:index"))}"{current}>{label}</a>')
    return "\n      ".join(parts) + "\n    </nav>"


@register.simple_tag(takes_context=True)
def site_nav(context) -> SafeString:
    """The main navigation for a signed-in member of the current team (else nothing), with the
    current page marked; remembered per process for each (language, page, Operations shown)."""
    user = _signed_in(context)
    if user is None or not context.get("current_team"):
        return mark_safe("")
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    url_name = (getattr(match, "url_name", None) or "") if match is not None else ""
    app_name = (getattr(match, "app_name", None) or "") if match is not None else ""
    membership = context.get("current_membership")
    operations = bool(
        getattr(membership, "can_manage", False) or user.is_staff or user.is_superuser
    )
    return mark_safe(remembered_nav(url_name, app_name, operations))  # noqa: S308 - escaped


def remembered_nav(url_name: str, app_name: str, operations: bool) -> str:
    """The navigation's HTML for that page, in the active language, built once per process."""
    key = (
        get_language(),
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
        url_name,
        app_name,
        operations,
    )
    found = _navs.get(key)
    if found is None:
        found = _navs[key] = _nav(url_name, app_name, operations)
    return found
