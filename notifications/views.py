"""The bell's page, each person's notification choices, and the team's webhooks (admins)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

import audit
from accounts.models import Role
from accounts.permissions import team_view

from .delivery import send_test
from .forms import NotificationSettingsForm, WebhookForm
from .models import Notification, NotificationSettings, Webhook, sync_unread


def _mine(request: HttpRequest):
    return Notification.objects.filter(user=request.user, team=request.team)


@require_safe
@team_view()
def inbox(request: HttpRequest) -> HttpResponse:
    sync_unread(request.team.pk, [request.user.pk])  # the bell heals here if it ever drifted
    page = Paginator(_mine(request), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@require_POST
@team_view()
def read_one(request: HttpRequest, notification_id: int) -> HttpResponse:
    note = get_object_or_404(_mine(request), pk=notification_id)
    if Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now()):
        sync_unread(request.team.pk, [request.user.pk])
    target = note.url
    if (
        request.POST.get("open") == "1"
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
        and target.startswith("/")
    ):
        return redirect(target)
    return redirect("notifications:inbox")


@require_POST
@team_view()
def read_all(request: HttpRequest) -> HttpResponse:
    changed = _mine(request).filter(read_at__isnull=True).update(read_at=timezone.now())
    sync_unread(request.team.pk, [request.user.pk])
    if changed:
        messages.success(request, _("All notifications marked as read."))
    return redirect("notifications:inbox")


@require_http_methods(["GET", "HEAD", "POST"])
@team_view()
def preferences(request: HttpRequest) -> HttpResponse:
    current = NotificationSettings.of(request.user)
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST, instance=current)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:preferences")
    else:
        form = NotificationSettingsForm(instance=current)
    return render(request, "notifications/preferences.html", {"form": form})


# --- Team webhooks (owners and admins) -----------------------------------------------------


def _hooks(request: HttpRequest):
    return Webhook.objects.filter(team=request.team)


def _audit_state(hook: Webhook) -> dict:
    """What the audit log keeps of a hook: never its URL path or secret."""
    return {
        "name": hook.name,
        "format": hook.format,
        "host": hook.url_masked,
        "events": list(hook.events),
        "active": hook.active,
        "secret": bool(hook.secret_encrypted),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@team_view(Role.ADMIN)
def webhooks(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            hook = form.save(request.team, request.user, get_language() or "en")
            audit.record(
                request.team,
                request.user,
                "webhook.created",
                target=hook.name,
                after=_audit_state(hook),
                request=request,
            )
            messages.success(request, _("Webhook saved. Send a test to check it."))
            return redirect("notifications:webhook", webhook_id=hook.pk)
        status = 400
    else:
        form = WebhookForm(initial={"active": True, "events": ["task.done", "task.failed"]})
        status = 200
    context = {"hooks": _hooks(request), "form": form}
    return render(request, "notifications/webhooks.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@team_view(Role.ADMIN)
def webhook(request: HttpRequest, webhook_id: int) -> HttpResponse:
    hook = get_object_or_404(_hooks(request), pk=webhook_id)
    status = 200
    if request.method == "POST":
        before = _audit_state(hook)
        form = WebhookForm(request.POST, instance=hook)
        if form.is_valid():
            form.save(request.team, request.user, hook.language)
            audit.record(
                request.team,
                request.user,
                "webhook.changed",
                target=hook.name,
                before=before,
                after=_audit_state(hook),
                request=request,
            )
            messages.success(request, _("Webhook saved."))
            return redirect("notifications:webhook", webhook_id=hook.pk)
        status = 400
    else:
        form = WebhookForm(
            instance=hook,
            initial={
                "name": hook.name,
                "format": hook.format,
                "events": hook.events,
                "active": hook.active,
            },
        )
    deliveries = hook.deliveries.all()[:50]
    context = {"hook": hook, "form": form, "deliveries": deliveries}
    return render(request, "notifications/webhook.html", context, status=status)


@require_POST
@team_view(Role.ADMIN)
def webhook_test(request: HttpRequest, webhook_id: int) -> HttpResponse:
    hook = get_object_or_404(_hooks(request), pk=webhook_id)
    delivery = send_test(hook)
    if delivery.status == delivery.Status.OK:
        messages.success(
            request, _("Test delivered (HTTP %(code)s).") % {"code": delivery.response_code}
        )
    else:
        messages.error(
            request,
            _("The test did not arrive: %(error)s") % {"error": delivery.error or "?"},
        )
    return redirect("notifications:webhook", webhook_id=hook.pk)


@require_POST
@team_view(Role.ADMIN)
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    hook = get_object_or_404(_hooks(request), pk=webhook_id)
    before = _audit_state(hook)
    hook.delete()
    audit.record(
        request.team,
        request.user,
        "webhook.deleted",
        target=before["name"],
        before=before,
        request=request,
    )
    messages.success(request, _("Webhook deleted."))
    return redirect("notifications:webhooks")
