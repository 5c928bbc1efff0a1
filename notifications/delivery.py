"""Sending webhook deliveries: SSRF-safe (the downloader's address checks and connection pin),
one attempt per claim, retried with backoff by the worker, every attempt logged."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from gallery.generation import DownloadError, check_url, pinned

from . import formats
from .messages import describe
from .models import BACKOFF, MAX_ATTEMPTS, Webhook, WebhookDelivery

log = logging.getLogger(__name__)


class WebhookRefused(Exception):
    """The address is not one we post to (private network, not http(s), malformed)."""


def allowed_hosts() -> frozenset[str]:
    return frozenset(h.lower() for h in settings.WEBHOOK_ALLOWED_HOSTS)


def check_address(url: str) -> list[str] | None:
    """The addresses to connect to (None: an allowed host, by name); WebhookRefused if the URL
    is not http(s) to public addresses (or an allowed host)."""
    try:
        return check_url(url, allowed_hosts())
    except DownloadError as exc:
        if exc.permanent:
            raise WebhookRefused(
                _("This address is not allowed: webhooks go only to public http(s) addresses.")
            ) from None
        raise WebhookRefused(_("The webhook's host could not be found.")) from None


def post(webhook: Webhook, event: str, data: dict) -> tuple[int | None, str]:
    """One POST of EVENT to WEBHOOK: (response code or None, error text or "")."""
    with translation.override(webhook.language or settings.LANGUAGE_CODE):
        text = describe(event, data)
        if data.get("url"):
            text += f"\n{data['url']}"
    url, body, headers = formats.build(
        webhook.format, webhook.url, webhook.secret, event, text, data
    )
    try:
        addresses = check_address(url)
    except WebhookRefused as exc:
        return None, str(exc)
    candidates: list[str | None] = [None] if addresses is None else list(addresses)
    timeout = httpx.Timeout(settings.WEBHOOK_TIMEOUT_SECONDS, connect=5.0)
    last_error = ""
    for address in candidates:
        target, extra, extensions = pinned(url, address)
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as http:
                response = http.post(
                    target, content=body, headers={**headers, **extra}, extensions=extensions
                )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            last_error = type(exc).__name__
            continue
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        ok, error = formats.accepted(webhook.format, response.status_code, response.content[:4096])
        return response.status_code, "" if ok else error
    return None, last_error or "ConnectError"


def attempt(delivery_id: int) -> str:
    """Make one attempt at a delivery (a task calls this); returns its new status."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or not delivery.claim():
        return "skipped"
    code, error = post(delivery.webhook, delivery.event, delivery.data)
    now = timezone.now()
    fields = {"response_code": code, "error": error[:300]}
    if not error:
        fields.update(status=WebhookDelivery.Status.OK, next_attempt_at=None)
    elif delivery.attempts < MAX_ATTEMPTS and delivery.event != "test":
        wait = BACKOFF[min(delivery.attempts - 1, len(BACKOFF) - 1)]
        fields.update(
            status=WebhookDelivery.Status.RETRYING, next_attempt_at=now + timedelta(seconds=wait)
        )
    else:
        fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    if fields["status"] == WebhookDelivery.Status.RETRYING:
        from .tasks import enqueue_delivery

        enqueue_delivery(delivery.pk, fields["next_attempt_at"])
    return fields["status"]


def send_test(webhook: Webhook) -> WebhookDelivery:
    """The "Send test" button: one attempt now (an admin waits for the answer), logged."""
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event="test", data={"team": webhook.team.name}
    )
    attempt(delivery.pk)
    delivery.refresh_from_db()
    return delivery


ACTIVE_HOOK_IDS = "SELECT id FROM {table} WHERE team_id = %s AND active"


def hooks_for(team, event: str) -> list[Webhook]:
    """TEAM's (a Team or its id) active hooks that want EVENT.

    Asked for every finished task: most teams have no hook, so a plain-SQL look for any comes
    first (the ORM query cost a real share of storing a result); the hooks are read only when
    there are some."""
    team_id = getattr(team, "pk", team)
    with connection.cursor() as cursor:
        cursor.execute(ACTIVE_HOOK_IDS.format(table=Webhook._meta.db_table), [team_id])
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return [h for h in Webhook.objects.filter(pk__in=ids, active=True) if event in h.events]


def queue_event(team, event: str, data: dict, hooks: list[Webhook] | None = None) -> int:
    """A delivery for every active hook of TEAM that wants EVENT (HOOKS: already looked up),
    sent by the worker once the current transaction commits. Returns how many were queued."""
    if hooks is None:
        hooks = hooks_for(team, event)
    if not hooks:
        return 0
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=h, event=event, data=data) for h in hooks
    )
    from .tasks import enqueue_delivery

    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: enqueue_delivery(pk))
    return len(deliveries)


STALE_AFTER = timedelta(minutes=5)


def requeue_stale(now=None, limit: int = 1000) -> int:
    """Queue again (at most LIMIT) what a lost task left behind: deliveries still waiting, or
    due for a retry, for STALE_AFTER (their enqueue failed, the queue was flushed), and attempts
    whose worker died mid-send (they may have arrived: webhooks are delivered at least once).
    Each one queued again is due again only STALE_AFTER later, so a busy queue does not collect
    a copy every turn (and a copy is harmless: an attempt claims the delivery first). Run by
    every turn of the worker's reconcile loop and by `manage.py retry_webhooks`."""
    from django.db.models import Q

    from .tasks import enqueue_delivery

    now = now or timezone.now()
    old = now - STALE_AFTER
    Status = WebhookDelivery.Status
    WebhookDelivery.objects.filter(status=Status.SENDING, last_attempt_at__lt=old).update(
        status=Status.RETRYING, next_attempt_at=old
    )
    lost = Q(status=Status.PENDING, created_at__lt=old) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=old)
    )
    stale = WebhookDelivery.objects.filter(
        lost | Q(status=Status.RETRYING, next_attempt_at__lte=old)
    ).order_by("pk")
    ids = list(stale.values_list("pk", flat=True)[:limit])
    if ids:
        WebhookDelivery.objects.filter(
            pk__in=ids, status__in=[Status.PENDING, Status.RETRYING]
        ).update(next_attempt_at=now)
    for pk in ids:
        enqueue_delivery(pk)
    return len(ids)
