"""Team pages: switch team, settings (API key, members, invitations), invitation links."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language as django_set_language

import audit
from zcheap_site.params import parse_id

from .base_url import base_url_problem
from .forms import (
    AcceptInvitationForm,
    ApiSettingsForm,
    CreateMemberForm,
    InvitationForm,
    NewTeamForm,
    RoleForm,
    TeamNameForm,
)
from .middleware import SESSION_TEAM_KEY
from .models import AlreadyMember, Invitation, InvitationUnusable, Membership, Role, Team, User
from .permissions import can_create_team, redirect_back, team_view


@login_not_required
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher (Django's set_language); a signed-in person's choice is also kept
    on their account, so e-mails to them are written in it."""
    response = django_set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            code = get_supported_language_variant(request.POST.get("language") or "")
        except LookupError:
            return response
        request.user.remember_language(code)
    return response


# Pages about one object of the old team, and the list page to land on in the new team.
SECTION_OF = {
    "gallery:item_detail": "gallery:browse",
    "gallery:card": "gallery:history",
    "gallery:mj_inpaint": "gallery:history",
    "assets:group": "assets:index",
}


def page_in_any_team(path: str) -> str:
    """PATH if it exists in every team; for a page about one object (a gallery item, a task,
    an asset group) the list it belongs to, since the object is not in the other team."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return reverse("home")  # only our own pages (no open redirect)
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return reverse("home")
    if match.kwargs:
        return reverse(SECTION_OF.get(match.view_name, "home"))
    return path


@require_POST
def switch_team(request: HttpRequest) -> HttpResponse:
    """Make another of my teams the current one; someone else's team is a 404."""
    membership = get_object_or_404(
        Membership, user=request.user, team_id=parse_id(request.POST.get("team_id", "")) or 0
    )
    request.session[SESSION_TEAM_KEY] = membership.team_id
    messages.success(request, _("Now working in %(team)s.") % {"team": membership.team.name})
    return redirect(page_in_any_team(request.POST.get("next", "")))


def _settings_context(request: HttpRequest, **forms) -> dict:
    team = request.team
    can_owner = request.membership.role == Role.OWNER
    context = {
        "team": team,
        "members": team.memberships.select_related("user").order_by("user__email"),
        "invitations": team.invitations.visible_to(request.membership).select_related("created_by")[
            :50
        ],
        "can_manage": request.membership.can_manage,
        "role_choices": Role.choices,
        "name_form": TeamNameForm(initial={"name": team.name}),
        "api_form": ApiSettingsForm(initial={"base_url": team.base_url}, team=team),
        "invite_form": InvitationForm(can_invite_owner=can_owner),
        "member_form": CreateMemberForm(can_invite_owner=can_owner),
        "waiting": Invitation.objects.waiting_for(request.user),
    }
    context.update(forms)
    return context


@require_safe
@team_view()
def team_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/team_settings.html", _settings_context(request))


@require_POST
@team_view(Role.ADMIN)
def rename_team(request: HttpRequest) -> HttpResponse:
    form = TeamNameForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "accounts/team_settings.html",
            _settings_context(request, name_form=form),
            status=400,
        )
    team, before = request.team, request.team.name
    with transaction.atomic():
        team.name = form.cleaned_data["name"]
        team.save(update_fields=["name"])
        if team.name != before:
            audit.record(
                team,
                request.user,
                "team.renamed",
                team.name,
                before={"name": before},
                after={"name": team.name},
                request=request,
            )
    messages.success(request, _("Team renamed."))
    return redirect("accounts:team_settings")


@require_POST
@team_view(Role.ADMIN)
def update_api_settings(request: HttpRequest) -> HttpResponse:
    form = ApiSettingsForm(request.POST, team=request.team)
    if not form.is_valid():
        return render(
            request,
            "accounts/team_settings.html",
            _settings_context(request, api_form=form),
            status=400,
        )
    team = request.team
    old_key, old_url = team.api_key, team.base_url
    new_key = form.cleaned_data["api_key"] if not form.cleaned_data["clear_api_key"] else ""
    if new_key:
        # Tested before the team switches: a wrong key, an empty account or an address that
        # does not answer is refused here, and the stored key and base URL stay as they were.
        from gallery.generation import verify_key

        check = verify_key(form.cleaned_data["base_url"] or settings.ZCHEAP_BASE_URL, new_key)
        if not check.ok:
            form.add_error(None, check.message)
            form.add_error(
                None,
                _("Nothing was changed: the team keeps its current key (%(masked)s).")
                % {"masked": team.api_key_masked}
                if team.api_key_encrypted
                else _("Nothing was changed: the team has no key yet."),
            )
            return render(
                request,
                "accounts/team_settings.html",
                _settings_context(request, api_form=form),
                status=400,
            )
    fields = ["base_url"]
    team.base_url = form.cleaned_data["base_url"]
    if form.cleaned_data["clear_api_key"]:
        team.set_api_key("")
        fields.append("api_key_encrypted")
        messages.info(request, _("API key removed: the team now runs in demo mode."))
    elif form.cleaned_data["api_key"]:
        team.set_api_key(form.cleaned_data["api_key"])
        fields.append("api_key_encrypted")
        messages.success(
            request,
            _("API key checked with Zcheap and saved (%(masked)s): the team is live.")
            % {"masked": team.api_key_masked},
        )
    with transaction.atomic():
        team.save(update_fields=fields)
        team.record_connection_change(request.user, old_key, old_url, request=request)
    messages.success(request, _("Connection settings saved."))
    return redirect("accounts:team_settings")


@require_POST
@team_view(Role.ADMIN)
def test_connection(request: HttpRequest) -> HttpResponse:
    """Call the asset-quota endpoint with the team's settings and give a verdict.

    Never the remote reply itself: the page must not become a window onto whatever answers at
    the base URL. A stored base URL that breaks today's rules (saved before them, or whose name
    now resolves to a private address) is refused without a request.
    """
    from gallery.generation import check_connection

    team = request.team
    problem = None if team.demo_mode else base_url_problem(team.effective_base_url)
    result = {"ok": False, "message": problem} if problem else check_connection(team)
    return render(request, "accounts/_connection_result.html", {"result": result})


@require_POST
@team_view(Role.ADMIN)
def create_invitation(request: HttpRequest) -> HttpResponse:
    can_owner = request.membership.role == Role.OWNER
    form = InvitationForm(request.POST, can_invite_owner=can_owner)
    if not form.is_valid():
        return render(
            request,
            "accounts/team_settings.html",
            _settings_context(request, invite_form=form),
            status=400,
        )
    with transaction.atomic():
        invitation = Invitation.objects.create(
            team=request.team,
            role=form.cleaned_data["role"],
            email=form.cleaned_data["email"],
            created_by=request.user,
            expires_at=timezone.now() + timedelta(days=form.cleaned_data["expires_in_days"]),
        )
        audit.record(
            request.team,
            request.user,
            "invitation.created",
            invitation.audit_target,
            after={"role": invitation.role, "expires_at": invitation.expires_at.isoformat()},
            request=request,
        )
    link = request.build_absolute_uri(
        reverse("accounts:accept_invitation", args=[invitation.token])
    )
    messages.success(request, _("Invitation created. Send this link: %(link)s") % {"link": link})
    return redirect("accounts:team_settings")


@require_POST
@team_view(Role.ADMIN)
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.visible_to(request.membership), pk=invitation_id, team=request.team
    )
    with transaction.atomic():
        revoked = Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            audit.record(
                request.team,
                request.user,
                "invitation.revoked",
                invitation.audit_target,
                before={"role": invitation.role},
                request=request,
            )
    messages.success(request, _("Invitation revoked."))
    return redirect("accounts:team_settings")


def _owners_left_after(team: Team, excluding: Membership) -> int:
    return team.memberships.filter(role=Role.OWNER).exclude(pk=excluding.pk).count()


@require_POST
@team_view(Role.ADMIN)
def change_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership, pk=membership_id, team=request.team)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("accounts:team_settings")
    role = form.cleaned_data["role"]
    is_owner = request.membership.role == Role.OWNER
    if (role == Role.OWNER or membership.role == Role.OWNER) and not is_owner:
        messages.error(request, _("Only an owner can grant or take away the owner role."))
    elif (
        membership.role == Role.OWNER
        and role != Role.OWNER
        and not _owners_left_after(request.team, membership)
    ):
        messages.error(request, _("A team needs at least one owner."))
    else:
        with transaction.atomic():
            before = membership.role
            membership.role = role
            membership.save(update_fields=["role"])
            revoked = Invitation.objects.revoke_beyond(request.team, membership.user, role)
            if role != before:
                after = {"role": role}
                if revoked:
                    after["invitations_revoked"] = revoked
                audit.record(
                    request.team,
                    request.user,
                    "role.changed",
                    membership.user.email,
                    before={"role": before},
                    after=after,
                    request=request,
                )
        messages.success(
            request,
            _("%(who)s is now %(role)s.")
            % {"who": membership.user, "role": membership.get_role_display()},
        )
    return redirect("accounts:team_settings")


@require_POST
@team_view(Role.ADMIN)
def remove_member(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership, pk=membership_id, team=request.team)
    if membership.role == Role.OWNER and request.membership.role != Role.OWNER:
        messages.error(request, _("Only an owner can remove an owner."))
    elif membership.role == Role.OWNER and not _owners_left_after(request.team, membership):
        messages.error(request, _("A team needs at least one owner."))
    else:
        with transaction.atomic():
            membership.delete()
            revoked = Invitation.objects.revoke_beyond(request.team, membership.user, None)
            audit.record(
                request.team,
                request.user,
                "member.removed",
                membership.user.email,
                before={"role": membership.role},
                after={"invitations_revoked": revoked} if revoked else None,
                request=request,
            )
        messages.success(
            request, _("%(who)s was removed from the team.") % {"who": membership.user}
        )
    return redirect("accounts:team_settings")


def _send_invitation(request: HttpRequest, invitation: Invitation) -> None:
    link = request.build_absolute_uri(
        reverse("accounts:accept_invitation", args=[invitation.token])
    )
    context = {"team": invitation.team.name, "who": request.user, "link": link}
    # In the language the invited person chose, if they have an account; else the inviter's.
    invited = User.objects.filter(email__iexact=invitation.email).exclude(language="").first()
    with translation.override(invited.language if invited else translation.get_language()):
        subject = _("Invitation to join %(team)s") % context
        body = (
            _(
                "%(who)s invites you to join %(team)s on Zcheap Studio.\n\n"
                "Open this link and log in to accept: %(link)s\n"
            )
            % context
        )
    send_mail(
        subject,
        body,
        None,
        [invitation.email],
        fail_silently=True,  # the invitation also waits on the person's team page
    )


@require_POST
@team_view(Role.ADMIN)
def create_member(request: HttpRequest) -> HttpResponse:
    """Add a person by e-mail: they get an invitation to accept (a new account if they had none).

    The answer is the same whether or not the address has an account.
    """
    can_owner = request.membership.role == Role.OWNER
    form = CreateMemberForm(request.POST, can_invite_owner=can_owner)
    if not form.is_valid():
        return render(
            request,
            "accounts/team_settings.html",
            _settings_context(request, member_form=form),
            status=400,
        )
    data = form.cleaned_data
    with transaction.atomic():
        invitation = Invitation.for_person(
            request.team,
            email=data["email"],
            role=data["role"],
            password=data["password1"],
            name=data["display_name"],
            by=request.user,
        )
        # Never whether the address had an account: the form keeps that from admins too.
        audit.record(
            request.team,
            request.user,
            "member.invited",
            invitation.email,
            after={"role": invitation.role, "expires_at": invitation.expires_at.isoformat()},
            request=request,
        )
    _send_invitation(request, invitation)
    messages.success(
        request,
        _(
            "%(email)s is invited and joins once they accept (by the link we e-mailed, or on "
            "their team page after logging in). If the address had no account, it now has one "
            "with the password you chose."
        )
        % {"email": invitation.email},
    )
    return redirect("accounts:team_settings")


@require_POST
def create_team(request: HttpRequest) -> HttpResponse:
    """Start a new team (in demo mode until a key is set), if TEAM_CREATION allows this user."""
    if not can_create_team(request.user):
        raise PermissionDenied
    form = NewTeamForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the new team a name."))
        return redirect_back(request, reverse("home"))
    with transaction.atomic():
        team = Team.objects.create(name=form.cleaned_data["name"])
        Membership.objects.create(team=team, user=request.user, role=Role.OWNER)
        audit.record(
            team,
            request.user,
            "team.created",
            team.name,
            after={"name": team.name},
            request=request,
        )
    request.session[SESSION_TEAM_KEY] = team.pk
    messages.success(request, _("Team %(team)s created.") % {"team": team.name})
    return redirect("accounts:team_settings")


def _joined(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    request.session[SESSION_TEAM_KEY] = invitation.team_id
    messages.success(request, _("Welcome to %(team)s!") % {"team": invitation.team.name})
    return redirect("home")


def _invitation_page(request, invitation, status=200, **context) -> HttpResponse:
    return render(
        request, "accounts/invitation.html", {"invitation": invitation, **context}, status=status
    )


def _accept_logged_in(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    if not invitation.is_for(request.user):
        return _invitation_page(request, invitation, status=403, wrong_account=True)
    if request.method != "POST":
        return _invitation_page(request, invitation)
    try:
        invitation.accept(request.user, request=request)
    except AlreadyMember as already:
        request.session[SESSION_TEAM_KEY] = invitation.team_id
        messages.info(
            request,
            _("You are in %(team)s already (%(role)s); the invitation did not change that.")
            % {"team": invitation.team.name, "role": already.membership.get_role_display()},
        )
        return redirect("home")
    except InvitationUnusable:
        return _invitation_page(request, invitation, status=410, unusable=True)
    return _joined(request, invitation)


@login_not_required
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Open an invitation link: join as the logged-in user, or create an account first."""
    invitation = get_object_or_404(Invitation.objects.select_related("team"), token=token)
    if not invitation.is_usable:
        return _invitation_page(request, invitation, status=410, unusable=True)
    if request.user.is_authenticated:
        return _accept_logged_in(request, invitation)
    if invitation.for_account:  # only that account may accept: log in first
        return _invitation_page(request, invitation)
    form = AcceptInvitationForm(request.POST or None, initial={"email": invitation.email})
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    form.cleaned_data["email"],
                    form.cleaned_data["password1"],
                    display_name=form.cleaned_data["display_name"],
                )
                # InvitationUnusable undoes the new account too
                invitation.accept(user, request=request)
        except InvitationUnusable:
            return _invitation_page(request, invitation, status=410, unusable=True)
        except IntegrityError:  # the same e-mail signed up a moment ago
            form.add_error("email", AcceptInvitationForm.EXISTS_MESSAGE)
        else:
            login(request, user, backend="accounts.backends.ModelBackend")
            return _joined(request, invitation)
    return _invitation_page(request, invitation, status=400 if form.errors else 200, form=form)
