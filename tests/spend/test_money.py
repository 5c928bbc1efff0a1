"""Money in the gateway's unit, formatted for the reader's language."""

from __future__ import annotations

from django.utils import translation

from spend import money


def test_usd_by_default(settings):
    settings.ZCHEAP_MONEY_UNIT = "USD"
    assert money.format_money(134_000) == "$0.134"
    assert money.format_money(40_000) == "$0.04"
    assert money.format_money(1_234_567_890) == "$1,234.57"
    assert money.format_money(5_000) == "$0.005"
    assert money.format_money(None) == ""
    assert money.from_unit("1.5") == 1_500_000 and money.from_unit("junk") is None


def test_cny_uses_the_gateways_rate(settings):
    settings.ZCHEAP_MONEY_UNIT = "CNY"
    settings.ZCHEAP_USD_RATE = 7.0
    assert money.format_money(1_000_000) == "¥7.00"
    assert money.from_unit("7") == 1_000_000  # a budget typed in yuan
    assert money.plain(1_000_000) == "7"


def test_tokens_are_whole_quota_units(settings):
    settings.ZCHEAP_MONEY_UNIT = "tokens"
    assert money.format_money(1_000_000) == "500,000 tokens"
    assert money.from_unit("500000") == 1_000_000
    with translation.override("zh-hans"):  # Django's zh-Hans format: no thousands separator
        assert money.format_money(1_000_000) == "500000 额度"


def test_the_language_formats_the_number(settings):
    settings.ZCHEAP_MONEY_UNIT = "USD"
    with translation.override("zh-hans"):  # Django's zh-Hans format groups nothing
        assert money.format_money(1_234_567_890) == "$1234.57"
    with translation.override("en"):
        assert money.format_money(-250_000) == "-$0.25"
