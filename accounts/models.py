"""Users, teams, memberships and invitations.

Every piece of team data hangs off a Team; views read the current team from
`request.team` (set by CurrentTeamMiddleware) and filter every query by it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit

from . import crypto


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person; logs in with an e-mail address."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    # The language the person last chose in the language switcher ("": never chose one); their
    # e-mails are written in it (mail_language).
    language = models.CharField(_("language"), max_length=10, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def label(self) -> str:
        return self.display_name or self.email.split("@")[0]

    @property
    def mail_language(self) -> str:
        """The language to write to this person in: the one they chose, else the site's."""
        return self.language or settings.LANGUAGE_CODE

    def remember_language(self, code: str) -> None:
        """Keep CODE (one of settings.LANGUAGES) as the language of this person's e-mails."""
        if code in dict(settings.LANGUAGES) and code != self.language:
            User.objects.filter(pk=self.pk).update(language=code)
            self.language = code


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100)
    api_key_encrypted = models.TextField(blank=True, editable=False)
    base_url = models.URLField(_("Zcheap base URL"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped (by signals, see accounts/signals.py and gallery/signals.py) whenever a list that
    # pages show in their filters changes: members, their names, boards. The team row is read on
    # every request anyway, so caches keyed on it are right in every process at once.
    listing_version = models.PositiveIntegerField(default=0, editable=False)
    # Bumped whenever the key's balance or the low-balance threshold changes
    # (spend.context_processors.forget): the admins' header keeps the spend row per process,
    # keyed on it, like the filter lists above.
    spend_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    # The key is write-only from the UI: set it, clear it, see it masked; never read it back.
    @property
    def api_key(self) -> str:
        return crypto.decrypt(self.api_key_encrypted)

    def set_api_key(self, key: str) -> None:
        self.api_key_encrypted = crypto.encrypt(key.strip())

    @property
    def api_key_masked(self) -> str:
        return crypto.mask(self.api_key)

    @property
    def demo_mode(self) -> bool:
        """A team without a key works against the built-in simulator, when demo mode is on."""
        return not self.api_key_encrypted and settings.ZCHEAP_DEMO_MODE

    @property
    def needs_key(self) -> bool:
        """No key and demo mode off: nothing can be sent until an owner adds a key."""
        return not self.api_key_encrypted and not settings.ZCHEAP_DEMO_MODE

    @property
    def effective_base_url(self) -> str:
        return self.base_url or settings.ZCHEAP_BASE_URL

    @property
    def usage_log_url(self) -> str:
        """The provider's own usage log page, where a person checks whether a task was received
        and charged (new-api's console; Zcheap runs new-api, contract §1)."""
        base = self.effective_base_url.rstrip("/").removesuffix("/v1")
        return f"{base}/console/log"

    def record_connection_change(self, actor, old_key: str, old_url: str, **kwargs) -> None:
        """Audit what changed in the connection since OLD_KEY / OLD_URL: the key only as its
        mask, never the key itself. Call it in the transaction that saves the team."""
        new_key = self.api_key
        if new_key != old_key:
            kind = "api_key.changed" if old_key and new_key else "api_key.set"
            audit.record(
                self,
                actor,
                kind if new_key else "api_key.removed",
                self.name,
                before={"key": crypto.mask(old_key)} if old_key else None,
                after={"key": crypto.mask(new_key)} if new_key else None,
                **kwargs,
            )
        if self.base_url != old_url:
            audit.record(
                self,
                actor,
                "base_url.changed",
                self.name,
                before={"base_url": old_url},
                after={"base_url": self.base_url},
                **kwargs,
            )

    @staticmethod
    def bump_listings(team_ids) -> None:
        Team.objects.filter(pk__in=list(team_ids)).update(
            listing_version=models.F("listing_version") + 1
        )


class MembershipQuerySet(models.QuerySet["Membership"]):
    def for_user(self, user) -> MembershipQuerySet:
        return self.filter(user=user).select_related("team")


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)
    # The header's bell: this person's unread notifications in this team, kept by the
    # notifications app (notifications.models.sync_unread), so no page queries for it.
    unread_notifications = models.PositiveIntegerField(default=0, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership")]
        ordering = ["team__name", "pk"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    def has_role(self, minimum: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(minimum)]

    @property
    def can_generate(self) -> bool:
        return self.has_role(Role.MEMBER)

    @property
    def can_manage(self) -> bool:
        return self.has_role(Role.ADMIN)

    def may_delete(self, item) -> bool:
        """Delete, restore or see a deleted ITEM: admins, and the member who made it."""
        return self.can_manage or (self.can_generate and item.user_id == self.user_id)


def _invitation_token() -> str:
    return secrets.token_urlsafe(24)


class InvitationUnusable(Exception):
    """The invitation was used, revoked or expired (perhaps a moment ago, by someone else)."""


class AlreadyMember(Exception):
    """The person is in the team already: an invitation never changes an existing role."""

    def __init__(self, membership: Membership):
        super().__init__(str(membership))
        self.membership = membership


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def usable(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )

    def visible_to(self, membership: Membership) -> InvitationQuerySet:
        """Owner invitations are for owners' eyes only: an admin who saw the link could use it."""
        if membership.role == Role.OWNER:
            return self
        return self.exclude(role=Role.OWNER)

    def revoke_beyond(self, team: Team, user, role: str | None) -> int:
        """Revoke USER's open invitations to TEAM for roles above ROLE (all of them for None).

        Called when someone is demoted or removed: a link they made must not hand out more than
        they now hold, to a second account of theirs for instance.
        """
        above = [r for r in Role if role is None or ROLE_RANK[r] > ROLE_RANK[Role(role)]]
        mine = self.usable().filter(team=team, created_by=user, role__in=above)
        return mine.update(revoked_at=timezone.now())

    def waiting_for(self, user) -> InvitationQuerySet:
        """Open invitations addressed to USER's account (people added directly by an admin)."""
        return (
            self.usable()
            .filter(for_account=True, email__iexact=user.email)
            .exclude(team__memberships__user=user)
            .select_related("team")
        )


class Invitation(models.Model):
    """A link that lets one person join a team with a role until it expires."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail (optional)"), blank=True)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set when an admin adds a person by e-mail: only the account with that e-mail may accept.
    for_account = models.BooleanField(default=False, editable=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation to {self.team} ({self.role})"

    @classmethod
    def default_expiry(cls, days: int = 7):
        return timezone.now() + timedelta(days=days)

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def status_label(self) -> str:
        if self.accepted_at:
            return str(_("accepted"))
        if self.revoked_at:
            return str(_("revoked"))
        if self.expires_at <= timezone.now():
            return str(_("expired"))
        return str(_("open"))

    @classmethod
    def for_person(cls, team: Team, *, email: str, role: str, password: str, name: str, by):
        """An admin adds a person by e-mail: an invitation only that account can accept.

        Nobody is pulled into a team without saying yes. If the address has no account yet, one
        is made with the password the admin chose (they hand it over); either way the person
        joins when they accept, so the admin learns nothing about who has an account.
        """
        with transaction.atomic():
            if not User.objects.filter(email__iexact=email).exists():
                try:
                    with transaction.atomic():
                        User.objects.create_user(email, password, display_name=name)
                except IntegrityError:  # the same address was created a moment ago
                    pass
            return cls.objects.create(
                team=team,
                email=email.lower(),
                role=role,
                for_account=True,
                created_by=by,
                expires_at=cls.default_expiry(days=30),
            )

    @property
    def audit_target(self) -> str:
        """How the audit log names this invitation: its address, or its number for a bare link."""
        return self.email or f"#{self.pk}"

    def is_for(self, user) -> bool:
        """Whether USER may accept: anyone holding the link, or the addressed account only."""
        return not self.for_account or (
            user.is_authenticated and user.email.lower() == self.email.lower()
        )

    def accept(self, user, request=None) -> Membership:
        """Join the team with the invited role, exactly once across every process.

        The invitation is consumed by one conditional UPDATE: of any number of people accepting
        at the same moment, one gets the row and the others get InvitationUnusable. Someone
        already in the team gets AlreadyMember and the invitation stays open for whom it was
        meant: accepting never raises (nor lowers) an existing member's role.
        """
        with transaction.atomic():
            existing = Membership.objects.filter(team_id=self.team_id, user=user).first()
            if existing is not None:
                raise AlreadyMember(existing)
            now = timezone.now()
            claimed = (
                Invitation.objects.filter(pk=self.pk)
                .usable()
                .filter(Q(for_account=False) | Q(email__iexact=user.email))
                .update(accepted_at=now, accepted_by=user)
            )
            if not claimed:
                raise InvitationUnusable
            membership, created = Membership.objects.get_or_create(
                team_id=self.team_id, user=user, defaults={"role": self.role}
            )
            if not created:  # joined through another invitation a moment ago
                raise AlreadyMember(membership)  # rolls the claim back
            audit.record(
                self.team,
                user,
                "invitation.accepted",
                user.email,
                after={
                    "role": membership.role,
                    "invitation": self.audit_target,
                    "invited_by": self.created_by.email if self.created_by else "",
                },
                request=request,
            )
        self.accepted_at, self.accepted_by = now, user
        return membership
