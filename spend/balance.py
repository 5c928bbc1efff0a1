"""The key's remaining balance, and the admins' alert when it falls below the threshold."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, Team

from . import money
from .context_processors import forget
from .models import SpendAccount
from .prices import account_for

log = logging.getLogger(__name__)


def refresh_balance(team: Team, account: SpendAccount | None = None) -> SpendAccount:
    """Read the key's total and used quota now (never raises); alert once per crossing."""
    from gallery.generation import client_for_team

    account = account or account_for(team)
    now = timezone.now()
    try:
        with client_for_team(team, max_retries=0) as client:
            subscription = client.billing_subscription()
            used = client.billing_usage()
    except Exception as error:
        log.info("balance of team %s not read: %r", team.pk, error)
        message = str(getattr(error, "user_message", None) or type(error).__name__)[:300]
        SpendAccount.objects.filter(pk=account.pk).update(balance_error=message, balance_at=now)
        account.balance_error, account.balance_at = message, now
        return account
    fields = {
        "balance_total_micros": money.from_unit(subscription.hard_limit),
        "balance_micros": money.from_unit(max(0.0, subscription.hard_limit - used)),
        "balance_unlimited": subscription.unlimited,
        "balance_at": now,
        "balance_error": "",
    }
    SpendAccount.objects.filter(pk=account.pk).update(**fields)
    for name, value in fields.items():
        setattr(account, name, value)
    check_threshold(team, account)
    forget(team.pk)
    return account


def check_threshold(team: Team, account: SpendAccount) -> bool:
    """Below the threshold: flip balance_low on with one conditional UPDATE; the one process that
    flips it e-mails the admins. Back above: flip it off, so the next crossing alerts again."""
    threshold, balance = account.balance_threshold_micros, account.balance_micros
    if threshold is None or balance is None or account.balance_unlimited:
        if account.balance_low:
            SpendAccount.objects.filter(pk=account.pk).update(balance_low=False)
            account.balance_low = False
        return False
    if balance < threshold:
        flipped = SpendAccount.objects.filter(pk=account.pk, balance_low=False).update(
            balance_low=True
        )
        account.balance_low = True
        if flipped:
            transaction.on_commit(lambda: _alert(team, balance, threshold))
        return bool(flipped)
    if account.balance_low:
        SpendAccount.objects.filter(pk=account.pk, balance_low=True).update(balance_low=False)
        account.balance_low = False
    return False


def _alert(team: Team, balance: int, threshold: int) -> None:
    from notifications.events import budget_threshold

    admins = Membership.objects.filter(team=team, role__in=[Role.OWNER, Role.ADMIN]).select_related(
        "user"
    )
    by_language: dict[str, list[str]] = {}  # one e-mail per language, in each admin's own
    for m in admins:
        if m.user.email:
            by_language.setdefault(m.user.mail_language, []).append(m.user.email)
    for language, recipients in sorted(by_language.items()):
        with translation.override(language):
            subject = _("Zcheap balance of %(team)s is low") % {"team": team.name}
            body = _(
                "The Zcheap balance of the team %(team)s is %(balance)s, below the %(threshold)s "
                "you set. Top up the Zcheap account so that your team can keep creating."
            ) % {
                "team": team.name,
                "balance": money.format_money(balance),
                "threshold": money.format_money(threshold),
            }
        try:
            send_mail(subject, body, None, recipients)
        except Exception:
            log.exception("low-balance e-mail for team %s failed", team.pk)
    try:
        budget_threshold.send(
            sender=SpendAccount,
            team=team,
            user=None,
            percent=100,
            spent=money.to_unit(balance),
            budget=money.to_unit(threshold),
            kind="balance",
        )
    except Exception:
        log.exception("budget_threshold listener failed")
