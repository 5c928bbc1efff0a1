"""Worker tasks of notifications, on the general lane ("default"): never in the submit, ingest
or poll lanes, so a slow chat server cannot hold up a generation."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django_tasks import task

log = logging.getLogger(__name__)


@task(queue_name="default")
def deliver_webhook(delivery_id: int) -> str:
    from .delivery import attempt

    return attempt(delivery_id)


def enqueue_delivery(delivery_id: int, when=None) -> None:
    try:
        (deliver_webhook.using(run_after=when) if when else deliver_webhook).enqueue(delivery_id)
    except Exception:  # a queue hiccup must not fail the event that caused it
        log.exception("could not queue webhook delivery %s", delivery_id)


@task(queue_name="default")
def send_email(to: str, subject: str, body: str) -> int:
    return send_mail(subject, body, None, [to], fail_silently=False)


def enqueue_email(to: str, subject: str, body: str) -> None:
    try:
        send_email.enqueue(to, subject, body)
    except Exception:
        log.exception("could not queue an e-mail")
