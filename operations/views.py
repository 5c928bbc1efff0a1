"""The operations page (GET only; htmx refreshes its panel every few seconds).

- A team's owners and admins: their own team's queue (tasks per step, oldest overdue poll, a
  rate-limit backoff, stuck or needs-review tasks with links).
- Staff (is_staff or superuser): the site-wide part too (workers and their heartbeats, the task
  queue per lane, site-wide counts), whatever their role in the current team.
- Anyone else: 403, like every admin page of a team.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from . import status

REFRESH_SECONDS = 10
LANE_LABELS = {
    "submit": _("Sending to Zcheap"),
    "ingest": _("Saving results"),
    "loops": _("Polling and clean-up loops"),
    "default": _("Other work (asset sync)"),
}


def is_staff(user) -> bool:
    return bool(user.is_staff or user.is_superuser)


def manages_team(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return request.team is not None and membership is not None and membership.can_manage


@require_safe
def operations(request: HttpRequest) -> HttpResponse:
    staff, manager = is_staff(request.user), manages_team(request)
    if not (staff or manager):
        raise PermissionDenied
    now = timezone.now()
    site = status.site_status(now) if staff else None
    context = {
        "now": now,
        "team_status": status.team_status(request.team, now) if manager else None,
        "site": site,
        "queue_lanes": [
            (LANE_LABELS.get(queue, queue), count) for queue, count in site.queue_depth.items()
        ]
        if site and site.queue_depth is not None
        else None,
        "refresh_seconds": REFRESH_SECONDS,
    }
    template = "operations/index.html#ops-panel" if request.htmx else "operations/index.html"
    return render(request, template, context)
