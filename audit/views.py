"""The team's audit log page and its CSV export: for owners and admins only, read-only."""

from __future__ import annotations

from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from accounts.models import Role
from accounts.permissions import team_view

from . import presenting
from .filters import AuditFilterForm, older_than, page, parse_cursor
from .models import AuditEvent

EXPORT_CHUNK = 1000


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, object]:
    form = AuditFilterForm(request.GET, team=request.team)
    events = form.filter(AuditEvent.objects.filter(team=request.team))
    return form, events


def _query(request: HttpRequest, **changes) -> str:
    params = {k: v for k, v in request.GET.items() if k in {"person", "kind", "since", "until"}}
    params.update(changes)
    return urlencode({k: v for k, v in params.items() if v})


@require_safe
@team_view(Role.ADMIN)
def log(request: HttpRequest) -> HttpResponse:
    form, events = _filtered(request)
    rows, next_cursor = page(events, request.GET.get("before", ""))
    context = {
        "form": form,
        "events": [presenting.present(e) for e in rows],
        "older_query": _query(request, before=next_cursor) if next_cursor else None,
        "paged": parse_cursor(request.GET.get("before", "")) is not None,
        "first_query": _query(request),
        "filter_query": _query(request),
    }
    return render(request, "audit/log.html", context)


def _all_rows(events):
    """Every event of EVENTS as dicts, newest first, a chunk at a time (keyset, as the pages)."""
    text = TextField()
    events = events.annotate(
        before_text=Cast("before", text), after_text=Cast("after", text)
    ).values(*presenting.CSV_FIELDS)
    cursor = None
    while True:
        chunk = events if cursor is None else older_than(events, cursor)
        rows = list(chunk.order_by("-created_at", "-pk")[:EXPORT_CHUNK])
        yield from rows
        if len(rows) < EXPORT_CHUNK:
            return
        cursor = (rows[-1]["created_at"], rows[-1]["pk"])


@require_safe
@team_view(Role.ADMIN)
def export_csv(request: HttpRequest) -> HttpResponse:
    _form, events = _filtered(request)
    response = StreamingHttpResponse(
        presenting.csv_lines(_all_rows(events)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
