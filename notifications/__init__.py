"""In-app notifications, e-mail and team webhooks.

Other apps announce events by sending the signals in ``notifications.events`` (they need not know
who listens): e.g. ``events.budget_threshold.send(sender=None, team=..., user=..., percent=80)``.
"""

from __future__ import annotations

__all__ = ["events"]

from . import events  # noqa: E402
