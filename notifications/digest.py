"""The daily e-mail of each person's failed tasks (for those who asked for it)."""

from __future__ import annotations

from datetime import timedelta

from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .messages import describe
from .models import NotificationSettings

EVERY = timedelta(hours=20)  # a daily run a little early or late still sends one a day
FAILED_STATES = ["failed", "timed_out", "needs_review"]


def failures_since(user, since):
    from gallery.models import Generation

    return (
        Generation.objects.filter(user=user, state__in=FAILED_STATES, finished_at__gt=since)
        .select_related("team")
        .order_by("team__name", "-finished_at")[:200]
    )


def send_daily_digests(now=None) -> int:
    """Send every due digest; returns how many e-mails went out. Safe to run twice at once:
    each person's digest is claimed by one conditional UPDATE before it is sent."""
    now = now or timezone.now()
    sent = 0
    wanted = NotificationSettings.objects.filter(daily_digest=True).select_related("user")
    for prefs in wanted:
        since = prefs.last_digest_at or now - timedelta(days=1)
        if not prefs.claim_digest(now, EVERY):
            continue
        failures = list(failures_since(prefs.user, since))
        if not failures:
            continue
        with translation.override(prefs.user.mail_language):
            lines = []
            for g in failures:
                data = {
                    "id": g.pk,
                    "what": str(g.get_kind_display()),
                    "prompt": (g.prompt or "")[:60],
                    "reason": g.error_message[:200],
                }
                lines.append(f"[{g.team.name}] {describe('task_failed', data)}")
            subject = _("Zcheap Studio: %(n)d failed tasks since yesterday") % {"n": len(lines)}
            body = "\n".join(lines)
        send_mail(subject, body, None, [prefs.user.email])
        sent += 1
    return sent
