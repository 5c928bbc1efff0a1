"""Money in the gateway's unit: USD by default, CNY or tokens when the site is set so
(`ZCHEAP_MONEY_UNIT`), formatted for the reader's language."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

MICROS = 1_000_000
QUOTA_PER_USD = 500_000
UNITS = ("USD", "CNY", "tokens")


def unit() -> str:
    value = str(getattr(settings, "ZCHEAP_MONEY_UNIT", "USD") or "USD")
    return {"usd": "USD", "cny": "CNY", "tokens": "tokens"}.get(value.lower(), "USD")


def rate() -> Decimal:
    """What one USD is in the display unit."""
    if unit() == "CNY":
        return Decimal(str(getattr(settings, "ZCHEAP_USD_RATE", 7.3)))
    if unit() == "tokens":
        return Decimal(QUOTA_PER_USD)
    return Decimal(1)


def usd_to_micros(usd) -> int | None:
    if usd is None:
        return None
    return int((Decimal(str(usd)) * MICROS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_unit(micros: int | None) -> Decimal | None:
    """Micro-USD → an amount in the display unit."""
    if micros is None:
        return None
    return Decimal(micros) / MICROS * rate()


def from_unit(amount) -> int | None:
    """An amount typed in the display unit → micro-USD."""
    if amount in (None, ""):
        return None
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return None
    return int((value / rate() * MICROS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def plain(micros: int | None) -> str:
    """The amount in the display unit as a bare number for forms and CSV (no grouping)."""
    value = to_unit(micros)
    if value is None:
        return ""
    places = 0 if unit() == "tokens" else 6
    text = f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_money(micros: int | None, *, approximate: bool = False) -> str:
    """An amount as "$1.23", "$0.134", "¥8.98" or "12,300 tokens", with the grouping and
    decimal mark of the active language."""
    value = to_unit(micros)
    if value is None:
        return ""
    sign = "≈ " if approximate else ""
    if unit() == "tokens":
        text = number_format(value.quantize(Decimal(1)), 0, use_l10n=True, force_grouping=True)
        return sign + _("%(amount)s tokens") % {"amount": text}
    # Cents, but amounts under a dollar keep a third decimal and tiny ones a fourth when it
    # matters ($0.134, $0.067, $0.0050 → $0.005), so a price never reads as a rounded guess.
    places = 2 if abs(value) >= 1 else 3 if abs(value) >= Decimal("0.01") else 4
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    while places > 2 and value == value.quantize(Decimal(1).scaleb(-(places - 1))):
        places -= 1
    text = number_format(value, places, use_l10n=True, force_grouping=True)
    symbol = "¥" if unit() == "CNY" else "$"
    if text.startswith("-"):
        return f"{sign}-{symbol}{text[1:]}"
    return f"{sign}{symbol}{text}"


def unit_label() -> str:
    return {"USD": "USD ($)", "CNY": "CNY (¥)", "tokens": _("tokens")}[unit()]
