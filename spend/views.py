"""Price hints, budgets and balance (admins), the usage page, its CSV, charged-but-failed."""

from __future__ import annotations

import csv
import datetime
from datetime import timedelta

from django.contrib import messages
from django.db.models import BigIntegerField, Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

import audit
from accounts.models import ROLE_RANK, Membership, Role
from accounts.permissions import team_view
from gallery.choices import model_name
from gallery.models import Generation, Kind

from . import charts, money
from .balance import check_threshold
from .budget import ensure_rows, managers
from .context_processors import forget
from .estimate import OK, Request, estimate
from .forms import MemberBudgetForm, PeriodForm, TeamSpendForm, TopUpForm
from .models import Budget, Charge, ChargeStatus, SpendAccount, current_month
from .prices import account_for, group, prices_for, table_of
from .tasks import refresh_team

MJ_SPEEDS = {"fast", "relax", "turbo", "draft"}
FLAG_SPEED = ("--fast", "--relax", "--turbo", "--draft")
MAX_DAYS = 400
NOT_SPENT = [ChargeStatus.REFUNDED, ChargeStatus.NOT_CHARGED, ChargeStatus.REFUND_EXPECTED]
SPENT = Case(
    When(status__in=NOT_SPENT, then=Value(0)),
    When(charged_micros__isnull=False, then=F("charged_micros")),
    default=Coalesce(F("estimated_micros"), Value(0)),
    output_field=BigIntegerField(),
)


def _int(value: str, low: int, high: int, default: int) -> int:
    try:
        return min(high, max(low, int(value)))
    except (TypeError, ValueError):
        return default


# --- price before you click ----------------------------------------------------------------
def request_from_form(query) -> Request:
    """The task the create form would send, from its current (unvalidated) values."""
    kind = query.get("kind", "")
    prompt = query.get("prompt", "")[:4000]
    if kind == "mj":
        if query.get("mode") == "blend":
            return Request("mj", "midjourney", "blend")
        speed = query.get("speed", "")
        if speed in MJ_SPEEDS and not any(flag in prompt for flag in FLAG_SPEED):
            prompt = f"{prompt} --{speed}"
        return Request("mj", "midjourney", "imagine", prompt)
    if kind == "video":
        params = {
            "duration": _int(query.get("duration"), 1, 60, 5),
            "resolution": query.get("resolution", "720p")[:10],
        }
        if query.get("reference_video_urls", "").strip():
            params["reference_video_urls"] = ["x"]
        return Request("video", query.get("model", "")[:60], params=params)
    return Request(
        "image", query.get("model", "")[:60], prompt=prompt, count=_int(query.get("count"), 1, 4, 1)
    )


def budget_state(request: HttpRequest, cost: int | None = None) -> dict:
    """What the hint says about the member's and the team's budget (and COST against them)."""
    rows = {
        b.user_id: b
        for b in Budget.objects.filter(
            Q(user__isnull=True) | Q(user=request.user), team=request.team
        )
    }
    notes = []
    for row, scope in ((rows.get(request.user.pk), "member"), (rows.get(None), "team")):
        if row is None or row.allowed_micros is None:
            continue
        percent = row.percent or 0
        over = cost is not None and row.spent_this_month + cost > row.allowed_micros
        if over or percent >= 80:
            notes.append(
                {
                    "scope": scope,
                    "percent": min(percent, 999),
                    "spent": row.spent_this_month,
                    "allowed": row.allowed_micros,
                    "over": over,
                    "full": percent >= 100,
                }
            )
    return {"notes": notes, "who": ", ".join(managers(request.team)) if notes else ""}


@require_http_methods(["GET", "HEAD", "POST"])
@team_view()
def estimate_hint(request: HttpRequest) -> HttpResponse:
    """The price hint of a create form (htmx, on every change). It changes nothing; the form
    posts its values (a long prompt would not fit in a URL), the page's kind is in the query."""
    values = request.GET.copy()
    if request.method == "POST":
        values.update(request.POST)
    account, table = prices_for(request.team)
    result = estimate(table, request_from_form(values), group=group())
    cost = money.usd_to_micros(result.usd) if result.status == OK else None
    context = {
        "result": result,
        "cost": cost,
        "each": money.usd_to_micros(result.each) if result.status == OK else None,
        "account": account,
        **budget_state(request, cost),
    }
    return render(request, "spend/_price_hint.html", context)


def batch_estimate(request: HttpRequest, kind: str, rows, variants: int) -> dict:
    """The estimated total of a batch (ROWS: each row's values over the form's), and what it
    means for the budgets: {"batch_cost": micros or None (unknown), **budget notes}."""
    account, table = prices_for(request.team)
    total = 0
    for _number, values in rows:
        query = request.POST.copy()
        query.update({k: str(v) for k, v in values.items() if v not in (None, "")})
        query["kind"] = kind
        query["count"] = "1"  # a batch's copies are its variants (presets/batches.py)
        result = estimate(table, request_from_form(query), group=group())
        if result.status != OK:
            return {"batch_estimated": True, "batch_cost": None, **budget_state(request)}
        total += money.usd_to_micros(result.usd) * variants
    return {"batch_estimated": True, "batch_cost": total, **budget_state(request, total)}


MJ_ACTION_PRICES = [
    ("upscale", gettext_lazy("Upscale")),
    ("low_variation", gettext_lazy("Vary")),
    ("reroll", gettext_lazy("Reroll")),
    ("zoom", gettext_lazy("Zoom out")),
    ("pan", gettext_lazy("Pan")),
    ("inpaint", gettext_lazy("Vary region")),
    ("remix", gettext_lazy("Remix")),
]


@require_safe
@team_view()
def mj_prices(request: HttpRequest, generation_id: int) -> HttpResponse:
    """What each MJ action on this result costs (its parent's speed flags count, §0)."""
    parent = get_object_or_404(
        Generation, team=request.team, pk=generation_id, kind=Kind.MIDJOURNEY
    )
    _account, table = prices_for(request.team)
    prices = []
    for action, label in MJ_ACTION_PRICES:
        result = estimate(table, Request("mj", "midjourney", action, parent.prompt), group=group())
        prices.append(
            (str(label), money.usd_to_micros(result.usd) if result.status == OK else None)
        )
    known = [p for _l, p in prices if p is not None]
    context = {
        "prices": prices,
        "unknown": not known,
        **budget_state(request, max(known, default=None)),
    }
    return render(request, "spend/_mj_prices.html", context)


# --- budgets and balance (owners and admins) --------------------------------------------------
def _budgets_context(request: HttpRequest, **forms) -> dict:
    account = account_for(request.team)
    memberships = list(
        Membership.objects.filter(team=request.team).select_related("user").order_by("user__email")
    )
    rows = {b.user_id: b for b in Budget.objects.filter(team=request.team)}
    team_row = rows.get(None) or Budget.objects.get_or_create(team=request.team, user=None)[0]
    people = []
    for m in memberships:
        row = rows.get(m.user_id)
        people.append(
            {
                "m": m,
                "row": row,
                "may_edit": ROLE_RANK[Role(m.role)] <= ROLE_RANK[Role(request.membership.role)],
            }
        )
    initial = {
        "team_budget": money.plain(team_row.limit_micros) or None,
        "member_default": money.plain(account.member_default_micros) or None,
        "balance_threshold": money.plain(account.balance_threshold_micros) or None,
    }
    return {
        "account": account,
        "team_row": team_row,
        "people": people,
        "team_form": forms.get("team_form") or TeamSpendForm(initial=initial),
        "unit": money.unit_label(),
        "prices_table": table_of(account),
        "month": current_month(),
    }


@require_safe
@team_view(Role.ADMIN)
def budgets(request: HttpRequest) -> HttpResponse:
    return render(request, "spend/budgets.html", _budgets_context(request))


@require_POST
@team_view(Role.ADMIN)
def update_team(request: HttpRequest) -> HttpResponse:
    form = TeamSpendForm(request.POST)
    if not form.is_valid():
        context = _budgets_context(request, team_form=form)
        return render(request, "spend/budgets.html", context, status=400)
    account = account_for(request.team)
    team_row, _member = ensure_rows(request.team, request.user)
    before = {
        "team_budget": money.plain(team_row.limit_micros),
        "member_default": money.plain(account.member_default_micros),
        "balance_threshold": money.plain(account.balance_threshold_micros),
    }
    team_row.limit_micros = form.micros("team_budget")
    team_row.save(update_fields=["limit_micros"])
    account.member_default_micros = form.micros("member_default")
    account.balance_threshold_micros = form.micros("balance_threshold")
    account.save(update_fields=["member_default_micros", "balance_threshold_micros"])
    after = {
        "team_budget": money.plain(team_row.limit_micros),
        "member_default": money.plain(account.member_default_micros),
        "balance_threshold": money.plain(account.balance_threshold_micros),
    }
    if before != after:
        audit.record(
            request.team,
            request.user,
            "budget.settings",
            _("Team"),
            before=before,
            after=after,
            request=request,
        )
    check_threshold(request.team, account)
    forget(request.team.pk)
    messages.success(request, _("Spend settings saved."))
    return redirect("spend:budgets")


def _member(request: HttpRequest, membership_id: int) -> Membership:
    membership = get_object_or_404(
        Membership.objects.select_related("user"), team=request.team, pk=membership_id
    )
    # Nobody sets the budget of a role above their own (an admin cannot limit an owner).
    if ROLE_RANK[Role(membership.role)] > ROLE_RANK[Role(request.membership.role)]:
        raise Http404
    return membership


@require_POST
@team_view(Role.ADMIN)
def update_member(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _member(request, membership_id)
    form = MemberBudgetForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("spend:budgets")
    _team_row, row = ensure_rows(request.team, membership.user)
    before = money.plain(row.limit_micros)
    Budget.objects.filter(pk=row.pk).update(limit_micros=form.micros())
    after = money.plain(form.micros())
    if before != after:
        audit.record(
            request.team,
            request.user,
            "budget.changed",
            membership.user.email,
            before={"budget": before},
            after={"budget": after},
            request=request,
        )
    messages.success(request, _("Budget of %(who)s saved.") % {"who": membership.user.label})
    return redirect("spend:budgets")


@require_POST
@team_view(Role.ADMIN)
def topup(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _member(request, membership_id)
    form = TopUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("spend:budgets")
    _team_row, row = ensure_rows(request.team, membership.user)
    month = current_month()
    amount = form.micros()
    # This month's top-ups add up; a row last touched in an earlier month starts anew.
    Budget.objects.filter(pk=row.pk, month=month).update(topup_micros=F("topup_micros") + amount)
    Budget.objects.filter(pk=row.pk).exclude(month=month).update(
        topup_micros=amount, spent_micros=0, month=month
    )
    audit.record(
        request.team,
        request.user,
        "budget.topup",
        membership.user.email,
        after={"topup": money.plain(amount), "month": month.isoformat()},
        request=request,
    )
    messages.success(
        request,
        _("%(who)s got a top-up of %(amount)s for this month.")
        % {"who": membership.user.label, "amount": money.format_money(amount)},
    )
    return redirect("spend:budgets")


@require_POST
@team_view(Role.ADMIN)
def refresh(request: HttpRequest) -> HttpResponse:
    """Read the price list, the balance and the usage log now."""
    refresh_team(request.team)
    account = SpendAccount.objects.get(team=request.team)
    if account.prices_error or account.balance_error:
        messages.warning(
            request,
            _("Zcheap did not answer everything: %(why)s")
            % {"why": account.prices_error or account.balance_error},
        )
    else:
        messages.success(request, _("Prices and balance read from Zcheap just now."))
    return redirect("spend:budgets")


# --- usage -----------------------------------------------------------------------------------
def _period(request: HttpRequest) -> tuple[datetime.date, datetime.date, PeriodForm]:
    form = PeriodForm(request.GET)
    today = timezone.localdate()
    start, end = current_month(), today
    if form.is_valid():
        start = form.cleaned_data.get("start") or start
        end = form.cleaned_data.get("end") or end
    if end < start:
        start, end = end, start
    if (end - start).days > MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS)
    return start, end, form


def _charges(request: HttpRequest, start, end):
    """The ledger lines of the period the reader may see: admins everyone's, others their own."""
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(end + timedelta(days=1), datetime.time.min, tzinfo=tz)
    charges = Charge.objects.filter(team=request.team, created_at__gte=since, created_at__lt=until)
    member = None
    if request.membership.can_manage:
        member_id = _int(request.GET.get("member"), 1, 2**62, 0)
        if member_id:
            member = (
                Membership.objects.filter(team=request.team, user_id=member_id)
                .select_related("user")
                .first()
            )
            charges = charges.filter(user_id=member_id) if member else charges.none()
    else:
        charges = charges.filter(user=request.user)
    return charges, member


KIND_LABELS = dict(Kind.choices)


@require_safe
@team_view()
def usage(request: HttpRequest) -> HttpResponse:
    start, end, form = _period(request)
    charges, member = _charges(request, start, end)
    tz = timezone.get_current_timezone()
    total = charges.aggregate(spent=Sum(SPENT), tasks=Count("pk"))
    by_day = dict(
        charges.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(spent=Sum(SPENT))
        .values_list("day", "spent")
    )
    series, day = [], start
    while day <= end:
        series.append((day.isoformat(), day.strftime("%m-%d"), by_day.get(day) or 0))
        day += timedelta(days=1)
    by_user = list(
        charges.values("user_id", "user__display_name", "user__email")
        .annotate(spent=Sum(SPENT), tasks=Count("pk"))
        .order_by("-spent")
    )
    for row in by_user:
        row["label"] = (
            row["user__display_name"] or (row["user__email"] or _("(removed)")).split("@")[0]
        )
    by_model = list(
        charges.values("kind", "model")
        .annotate(spent=Sum(SPENT), tasks=Count("pk"))
        .order_by("-spent")
    )
    for row in by_model:
        row["label"] = f"{KIND_LABELS.get(row['kind'], row['kind'])} · {model_name(row['model'])}"
    failed = charges.filter(
        status__in=[ChargeStatus.REFUND_EXPECTED, ChargeStatus.REFUNDED, ChargeStatus.UNSURE]
    ).count()
    query = request.GET.copy()
    context = {
        "form": form,
        "start": start,
        "end": end,
        "member": member,
        "total": total["spent"] or 0,
        "tasks": total["tasks"],
        "failed": failed,
        "days_chart": charts.days(series),
        "user_chart": charts.horizontal([(r["label"], r["spent"] or 0) for r in by_user]),
        "model_chart": charts.horizontal([(r["label"], r["spent"] or 0) for r in by_model]),
        "by_user": by_user,
        "by_model": by_model,
        "everyone": request.membership.can_manage and member is None,
        "query": query.urlencode(),
        "unit": money.unit_label(),
    }
    return render(request, "spend/usage.html", context)


class _Echo:
    def write(self, value):
        return value


@require_safe
@team_view()
def usage_csv(request: HttpRequest) -> HttpResponse:
    """One line per task of the period (streamed): who, what, estimated, charged, status."""
    start, end, _form = _period(request)
    charges, _member = _charges(request, start, end)
    rows = charges.select_related("user", "generation").order_by("created_at", "pk")
    writer = csv.writer(_Echo())
    unit = money.unit()

    def lines():
        yield "\ufeff"  # so that spreadsheet programs read the file as UTF-8 (names in Chinese)
        yield writer.writerow(
            [
                "date",
                "time",
                "member",
                "email",
                "task",
                "kind",
                "action",
                "model",
                "billing_model",
                f"estimated_{unit}",
                f"charged_{unit}",
                f"spent_{unit}",
                "status",
                "source",
            ]
        )
        for c in rows.iterator(chunk_size=500):
            local = timezone.localtime(c.created_at)
            spent = c.spent_micros
            yield writer.writerow(
                [
                    local.date().isoformat(),
                    local.strftime("%H:%M:%S"),
                    _safe(c.user.label if c.user else ""),
                    c.user.email if c.user else "",
                    c.generation_id,
                    c.kind,
                    c.generation.action,
                    c.model,
                    c.billing_model,
                    money.plain(c.estimated_micros),
                    money.plain(c.charged_micros),
                    money.plain(spent),
                    c.status,
                    c.source,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"zcheap-usage-{start.isoformat()}-{end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula starts with a quote instead."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_safe
@team_view()
def charged_failed(request: HttpRequest) -> HttpResponse:
    """Failed tasks Zcheap took (and pre-charged), with their refund status."""
    start, end, form = _period(request)
    charges, member = _charges(request, start, end)
    rows = list(
        charges.filter(
            status__in=[ChargeStatus.REFUND_EXPECTED, ChargeStatus.REFUNDED, ChargeStatus.UNSURE]
        )
        .select_related("user", "generation")
        .order_by("-created_at", "-pk")[:500]
    )
    context = {
        "rows": rows,
        "form": form,
        "start": start,
        "end": end,
        "member": member,
        "query": request.GET.urlencode(),
    }
    return render(request, "spend/failed.html", context)
