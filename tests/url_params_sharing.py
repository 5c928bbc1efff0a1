"""URL parameters of review links and notifications, as team-A objects (tests/test_cross_team.py).

The reviewers' own pages (/r/<token>/...) are public by design; tests/sharing/test_review_access.py
walks every one of them anonymously, revoked, expired and with another link's token."""

from __future__ import annotations

from notifications.models import Notification, Webhook
from sharing.models import ReviewLink, ReviewLinkItem
from tests.factories import make_generation, make_item


def _link(ctx) -> int:
    item = make_item(make_generation(ctx["team_a"], ctx["owner_a"]))
    link = ReviewLink.objects.create(
        team=ctx["team_a"], created_by=ctx["owner_a"], expires_at=ReviewLink.default_expiry()
    )
    ReviewLinkItem.objects.create(link=link, item=item)
    return link.pk


def _webhook(ctx) -> int:
    hook = Webhook(team=ctx["team_a"], name="A hook", events=["task.done"])
    hook.set_url("https://hooks.example.com/a")
    hook.save()
    return hook.pk


FACTORIES = {
    "link_id": _link,
    "webhook_id": _webhook,
    "notification_id": lambda ctx: (
        Notification.objects.create(user=ctx["owner_a"], team=ctx["team_a"], kind="task_done").pk
    ),
}
