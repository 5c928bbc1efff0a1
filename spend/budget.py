"""Budgets and the ledger: reserve at submit (atomic, all or nothing), settle when known.

The check is ONE SQL statement: a conditional UPDATE of the team's budget row and the member's
row that adds the estimate only where it still fits (and starts a new month on the way), and
returns the rows it changed (on PostgreSQL one call of the PL/pgSQL function that locks the two
rows in id order and runs that UPDATE). Both rows changed: the tasks may go. Fewer: what it
added is taken back and the submit refused. Concurrent submits queue on the rows' locks and see
each other's spending, so together they never pass a limit (tests/spend, PostgreSQL).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, Team

from . import money
from .estimate import OK
from .models import Budget, Charge, ChargeSource, ChargeStatus, SpendAccount, current_month
from .prices import estimate_generation, prices_for

log = logging.getLogger(__name__)
THRESHOLDS = (80, 100)


class BudgetExceeded(ValidationError):
    """The submit would pass a budget; the message says who can raise it."""

    def __init__(self, message: str, *, scope: str):
        super().__init__(message, code="budget")
        self.scope = scope


@dataclass
class Hold:
    """What reserve() took: per generation its estimate (micro-USD or None) and flags."""

    month: object
    estimates: list[int | None] = field(default_factory=list)
    approximate: list[bool] = field(default_factory=list)
    billing_models: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)  # (user_id, spent, limit, topup)


def managers(team: Team) -> list[str]:
    """Who may raise a budget: the team's owners and admins, by name."""
    people = (
        Membership.objects.filter(team=team, role__in=[Role.OWNER, Role.ADMIN])
        .select_related("user")
        .order_by("role", "user__display_name", "user__email")
    )
    return [m.user.label for m in people]


# PostgreSQL: a function (spend/migrations/0002_reserve_function.py) that locks the team's and
# the member's rows in id order, so two statements touching the same rows never deadlock, then
# runs the UPDATE below; its statements keep their plans between calls (planning the statement
# on every submit cost more than running it).
_RESERVE_PG = (
    "SELECT id, user_id, spent_micros, limit_micros, topup_micros "
    "FROM spend_budget_reserve(%s, %s, %s, %s)"
)


def _limit_sql() -> str:
    """The reservation on SQLite (which serialises writers), as one statement."""
    table = Budget._meta.db_table
    fresh = "CASE WHEN month = %s THEN {col} ELSE 0 END"
    spent, topup = fresh.format(col="spent_micros"), fresh.format(col="topup_micros")
    # The table name is our model's; every value is a parameter.
    sql = "UPDATE {table} SET spent_micros = {spent} + %s, topup_micros = {topup}, month = %s "
    sql += "WHERE team_id = %s AND (user_id IS NULL OR user_id = %s) "
    sql += "AND (limit_micros IS NULL OR {spent} + %s <= limit_micros + {topup}) "
    sql += "RETURNING id, user_id, spent_micros, limit_micros, topup_micros"
    return sql.format(table=table, spent=spent, topup=topup)


class _Refused(Exception):
    pass


def _take(team: Team, user, amount: int, month, need_known: bool) -> list[tuple]:
    """Run the one UPDATE; the changed rows (id, user_id, spent, limit, topup). If it did not
    change both rows (or a budget is set and the cost is unknown), what it added is taken
    back (we hold those rows' locks) and _Refused raised."""
    if connection.vendor == "postgresql":
        sql, args = _RESERVE_PG, [team.pk, user.pk, amount, month]
    else:
        value = month.isoformat()
        sql, args = (
            _limit_sql(),
            [value, amount, value, value, team.pk, user.pk, value, amount, value],
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    limited = any(row[3] is not None for row in rows)
    if len(rows) != 2 or (need_known and limited):
        if rows:
            Budget.objects.filter(pk__in=[row[0] for row in rows]).update(
                spent_micros=F("spent_micros") - amount
            )
        raise _Refused(rows)
    return [row[1:] for row in rows]


def ensure_rows(team: Team, user) -> tuple[Budget, Budget]:
    """The team's and the member's budget rows (a member's starts at the team's default)."""
    team_row, _c = Budget.objects.get_or_create(team=team, user=None)
    default = (
        SpendAccount.objects.filter(team=team)
        .values_list("member_default_micros", flat=True)
        .first()
    )
    member_row, _c = Budget.objects.get_or_create(
        team=team, user=user, defaults={"limit_micros": default}
    )
    return team_row, member_row


def reserve(team: Team, user, generations: list) -> Hold:
    """Reserve the estimates of GENERATIONS (unsaved rows) in the team's and USER's budgets,
    all or nothing; raise BudgetExceeded. Call inside the transaction that creates them."""
    _account, table = prices_for(team)
    hold = Hold(month=current_month())
    for generation in generations:
        result = estimate_generation(table, generation)
        hold.estimates.append(money.usd_to_micros(result.usd) if result.status == OK else None)
        hold.approximate.append(result.approximate)
        hold.billing_models.append(result.billing_model)
    amount = sum(e or 0 for e in hold.estimates)
    unknown = any(e is None for e in hold.estimates)
    for attempt in range(2):
        try:
            hold.rows = _take(team, user, amount, hold.month, unknown)
            break
        except _Refused as refused:
            rows = refused.args[0]
            if len(rows) == 2 and unknown:  # a budget is set but the price is unknown
                raise BudgetExceeded(_unknown_price_message(team), scope="prices") from None
            if attempt == 0 and len(rows) < 2:  # a row may be missing (or was just made)
                ensure_rows(team, user)
                continue
            raise _exceeded(team, user, amount) from None
    transaction.on_commit(lambda: _announce_crossings(team, user, amount, hold.rows))
    return hold


def _unknown_price_message(team: Team) -> str:
    return _(
        "Zcheap's price list could not be read, so this task's cost is unknown and your budget "
        "cannot be checked. Try again in a minute, or ask an owner or admin (%(who)s) to "
        "refresh the prices on the budgets page."
    ) % {"who": ", ".join(managers(team)) or _("none")}


def _exceeded(team: Team, user, amount: int) -> BudgetExceeded:
    team_row, member_row = ensure_rows(team, user)
    who = ", ".join(managers(team)) or _("none")
    for row, scope in ((member_row, "member"), (team_row, "team")):
        allowed = row.allowed_micros
        if allowed is not None and row.spent_this_month + amount > allowed:
            left = money.format_money(max(0, allowed - row.spent_this_month))
            cost = money.format_money(amount)
            if scope == "member":
                text = _(
                    "This would go over your monthly budget: it costs about %(cost)s and "
                    "%(left)s is left. Ask an owner or admin (%(who)s) to raise your budget or "
                    "grant a top-up."
                )
            else:
                text = _(
                    "This would go over the team's monthly budget: it costs about %(cost)s and "
                    "%(left)s is left. Ask an owner or admin (%(who)s) to raise the team "
                    "budget or grant a top-up."
                )
            return BudgetExceeded(text % {"cost": cost, "left": left, "who": who}, scope=scope)
    return BudgetExceeded(_("The budget changed while you submitted. Try again."), scope="team")


def _announce_crossings(team: Team, user, amount: int, rows: list[tuple]) -> None:
    """Send budget_threshold for each budget this reservation pushed past 80 % or 100 %."""
    for user_id, spent, limit, topup in rows:
        if limit is None:
            continue
        announce_crossing(team, user if user_id else None, spent - amount, spent, limit + topup)


def announce_crossing(team: Team, user, before: int, after: int, allowed: int) -> None:
    from notifications.events import budget_threshold

    for percent in THRESHOLDS:
        line = allowed * percent // 100
        if before < line <= after or (allowed <= 0 and before < after and percent == 100):
            try:
                budget_threshold.send(
                    sender=Budget,
                    team=team,
                    user=user,
                    percent=percent,
                    spent=money.to_unit(after),
                    budget=money.to_unit(allowed),
                    kind="member" if user is not None else "team",
                )
            except Exception:  # a listener's failure never fails a submit
                log.exception("budget_threshold listener failed")


def record(hold: Hold, generations: list) -> None:
    """Write the ledger lines of GENERATIONS (saved now) with what reserve() counted."""
    Charge.objects.bulk_create(
        [
            Charge(
                generation=g,
                team_id=g.team_id,
                user_id=g.user_id,
                kind=g.kind,
                model=g.model,
                billing_model=billing_model,
                month=hold.month,
                estimated_micros=estimated,
                approximate=approximate,
                reserved_micros=estimated or 0,
            )
            for g, estimated, approximate, billing_model in zip(
                generations, hold.estimates, hold.approximate, hold.billing_models, strict=True
            )
        ]
    )


def _move(charge: Charge, old_status: str, **fields) -> bool:
    """Change CHARGE once (conditional on its status and reserved amount) and move its budgets
    by the difference, in one transaction: a task is charged once however often it settles."""
    new_reserved = fields.get("reserved_micros", charge.reserved_micros)
    with transaction.atomic():
        moved = Charge.objects.filter(
            pk=charge.pk, status=old_status, reserved_micros=charge.reserved_micros
        ).update(settled_at=timezone.now(), **fields)
        if not moved:
            return False
        delta = new_reserved - charge.reserved_micros
        if delta:
            rows = Budget.objects.filter(
                Q(user__isnull=True) | Q(user_id=charge.user_id),
                team_id=charge.team_id,
                month=charge.month,
            )
            # Locked in id order, like the reservation, so the two never deadlock.
            ids = list(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
            Budget.objects.filter(pk__in=ids).update(spent_micros=F("spent_micros") + delta)
    for name, value in fields.items():
        setattr(charge, name, value)
    return True


def settle(generation) -> str:
    """The task reached a final state: record its charge or its refund (once)."""
    charge = Charge.objects.filter(generation_id=generation.pk).first()
    if charge is None or charge.status != ChargeStatus.RESERVED:
        return ""
    state = generation.state
    if state == "done":
        micros, source = charged_amount(generation, charge)
        _move(
            charge,
            ChargeStatus.RESERVED,
            status=ChargeStatus.CHARGED,
            charged_micros=micros,
            source=source,
            reserved_micros=micros,
        )
        return ChargeStatus.CHARGED
    if state == "failed":
        if generation.remote_id:  # Zcheap took it (and pre-charged it): it refunds a failure
            _move(
                charge,
                ChargeStatus.RESERVED,
                status=ChargeStatus.REFUND_EXPECTED,
                charged_micros=charge.estimated_micros,
                reserved_micros=0,
            )
            return ChargeStatus.REFUND_EXPECTED
        _move(charge, ChargeStatus.RESERVED, status=ChargeStatus.NOT_CHARGED, reserved_micros=0)
        return ChargeStatus.NOT_CHARGED
    if state in ("cancelled", "needs_review"):
        # Sent or perhaps sent: it may be charged; the estimate stays counted.
        status = ChargeStatus.UNSURE if generation.remote_id or state == "needs_review" else None
        if status is None:
            _move(charge, ChargeStatus.RESERVED, status=ChargeStatus.NOT_CHARGED, reserved_micros=0)
            return ChargeStatus.NOT_CHARGED
        _move(charge, ChargeStatus.RESERVED, status=status)
        return status
    return ""


def charged_amount(generation, charge: Charge) -> tuple[int, str]:
    """What a finished task cost: Zcheap's amount_usd, else the price list with its reported
    usage, else the estimate made at submit."""
    if generation.amount_usd is not None:
        return money.usd_to_micros(generation.amount_usd), ChargeSource.AMOUNT
    _account, table = prices_for(generation.team, fetch=False)
    result = estimate_generation(table, generation, usage=generation.usage or None)
    if result.status == OK:
        return money.usd_to_micros(result.usd), ChargeSource.PRICE_LIST
    return charge.estimated_micros or 0, ChargeSource.ESTIMATE


def apply_usage_log(team: Team, lines) -> int:
    """Correct the ledger from Zcheap's usage log: a charged task takes the logged amount, a
    failed one whose refund is logged becomes Refunded. Returns how many lines changed."""
    consumed: dict[str, int] = {}
    refunded: dict[str, int] = {}
    for line in lines:
        if not line.task_id:
            continue
        target = refunded if line.type == 6 else consumed
        target[line.task_id] = target.get(line.task_id, 0) + line.quota
    if not consumed and not refunded:
        return 0
    ids = set(consumed) | set(refunded)
    changed = 0
    charges = Charge.objects.filter(
        team=team,
        generation__remote_id__in=ids,
        status__in=[ChargeStatus.CHARGED, ChargeStatus.REFUND_EXPECTED, ChargeStatus.UNSURE],
    ).select_related("generation")
    for charge in charges:
        remote = charge.generation.remote_id
        spent_quota = consumed.get(remote, 0) - refunded.get(remote, 0)
        micros = spent_quota * money.MICROS // money.QUOTA_PER_USD
        if charge.status == ChargeStatus.REFUND_EXPECTED:
            if remote in refunded:
                changed += _move(charge, charge.status, status=ChargeStatus.REFUNDED)
        elif charge.status == ChargeStatus.UNSURE:
            if remote in consumed:
                status = ChargeStatus.REFUNDED if spent_quota <= 0 else ChargeStatus.CHARGED
                changed += _move(
                    charge,
                    charge.status,
                    status=status,
                    charged_micros=max(0, micros),
                    reserved_micros=max(0, micros),
                    source=ChargeSource.LOG,
                )
        elif remote in consumed and (
            charge.source != ChargeSource.LOG or charge.charged_micros != micros
        ):
            changed += _move(
                charge,
                charge.status,
                charged_micros=micros,
                reserved_micros=micros,
                source=ChargeSource.LOG,
            )
    return changed


def settle_missed(team: Team, limit: int = 500) -> int:
    """Settle ledger lines still reserved although their task has finished (a settle that was
    lost, e.g. a process killed between the transition and its receiver). Idempotent."""
    from gallery.models import Generation

    finished = Generation.objects.filter(
        team=team,
        state__in=["done", "failed", "cancelled", "needs_review"],
        charge__status=ChargeStatus.RESERVED,
    ).select_related("team", "parent")[:limit]
    return sum(1 for generation in finished if settle(generation))
