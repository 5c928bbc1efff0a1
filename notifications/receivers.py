"""Listeners of notifications.events: in-app notifications, e-mails and webhook deliveries.

A listener never raises into the sender (a failed notification must not fail a task, a budget
check or a review): each one logs its own errors.
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership, Role

from . import events
from .delivery import hooks_for, queue_event
from .messages import describe
from .models import Notification, NotificationSettings, notify
from .tasks import enqueue_email

log = logging.getLogger(__name__)

FAILED_STATES = {"failed", "timed_out", "needs_review"}


def _safe(listener):
    @functools.wraps(listener)
    def wrapper(*args, **kwargs):
        try:
            listener(*args, **kwargs)
        except Exception:
            log.exception("notification listener %s failed", listener.__name__)

    return wrapper


def absolute(path: str) -> str:
    return settings.ZCHEAP_PUBLIC_BASE_URL.rstrip("/") + path


def _email(user, kind: str, data: dict) -> None:
    if not user or not user.email:
        return
    if not NotificationSettings.of(user).email_long_tasks:
        return
    with translation.override(user.mail_language):
        text = describe(kind, data)
        subject = f"Zcheap Studio: {text}"[:150]
        body = text + (f"\n\n{data['url']}" if data.get("url") else "")
    enqueue_email(user.email, subject, body)


def generation_data(generation, state: str) -> dict:
    items = list(generation.items.filter(deleted_at__isnull=True).order_by("index")[:1])
    path = (
        reverse("gallery:item_detail", args=[items[0].pk])
        if items and state == "done"
        else reverse("gallery:history")
    )
    data = {
        "id": generation.pk,
        "what": str(generation.get_kind_display()),
        "kind": generation.kind,
        "state": state,
        "prompt": (generation.prompt or "")[:60],
        "path": path,
        "url": absolute(path),
        "by": generation.user.label if generation.user else "",
    }
    if state in FAILED_STATES:
        data["reason"] = generation.error_message[:200]
    return data


@receiver(events.task_finished, dispatch_uid="notifications.task_finished")
@_safe
def on_task_finished(sender, generation, state, **kwargs):
    if state == "cancelled":  # the person stopped it themselves
        return
    failed = state in FAILED_STATES
    long_task = generation.kind == "video"
    tell_owner = generation.user_id is not None and (failed or long_task)
    event = "task.failed" if failed else "task.done"
    hooks = hooks_for(generation.team_id, event)
    if not tell_owner and not hooks:  # most finished images: nobody to tell, nothing to build
        return
    data = generation_data(generation, state)
    kind = Notification.Kind.TASK_FAILED if failed else Notification.Kind.TASK_DONE
    if tell_owner:
        notify([generation.user_id], generation.team_id, kind, data, data["path"])
        if long_task:
            _email(generation.user, kind, data)
    queue_event(generation.team, event, data, hooks)


@receiver(events.batch_finished, dispatch_uid="notifications.batch_finished")
@_safe
def on_batch_finished(sender, batch, team, user, **kwargs):
    data = {
        "id": getattr(batch, "pk", None),
        "total": getattr(batch, "total", None) or kwargs.get("total", "?"),
        "failed": getattr(batch, "failed", None) or kwargs.get("failed", 0),
        "path": kwargs.get("path") or reverse("gallery:history"),
    }
    data["url"] = absolute(data["path"])
    if user is not None:
        notify([user.pk], team.pk, Notification.Kind.BATCH_DONE, data, data["path"])
        _email(user, Notification.Kind.BATCH_DONE, data)
    queue_event(team, "batch.done", data)


@receiver(events.review_feedback, dispatch_uid="notifications.review_feedback")
@_safe
def on_review_feedback(sender, link, item, verdict, comment, reviewer_name, **kwargs):
    path = reverse("sharing:link_detail", args=[link.pk])
    data = {
        "link": str(link)[:80],
        "link_id": link.pk,
        "item": item.pk,
        "verdict": verdict,
        "comment": comment[:200],
        "reviewer": reviewer_name[:80],
        "path": path,
        "url": absolute(path),
    }
    if link.created_by_id:
        notify([link.created_by_id], link.team_id, Notification.Kind.REVIEW, data, path)
    queue_event(link.team, "review.feedback", data)


@receiver(events.budget_threshold, dispatch_uid="notifications.budget_threshold")
@_safe
def on_budget_threshold(sender, team, user, percent, spent, budget, kind="team", **kwargs):
    data = {
        "scope": kind,
        "percent": percent,
        "spent": str(spent),
        "budget": str(budget),
        "path": reverse("accounts:team_settings"),
    }
    data["url"] = absolute(data["path"])
    if user is not None:
        people = [user.pk]
    else:  # the team's budget: its owners and admins are told
        people = list(
            Membership.objects.filter(team=team, role__in=[Role.OWNER, Role.ADMIN]).values_list(
                "user_id", flat=True
            )
        )
    notify(people, team.pk, Notification.Kind.BUDGET, data, data["path"])
    queue_event(team, "budget.threshold", data)
