"""Price list + settings → what a task will cost. Pure: no database, no network, no Django.

Rules (contract §0 "Money"):
- per-call models (quota_type 1) cost `model_price × group_ratio` USD a call;
- per-token models (quota_type 0) cost `tokens × model_ratio × group_ratio / 500,000` USD, with
  output tokens weighted by `completion_ratio`; before the task ran, the tokens are the typical
  usage below, so such an estimate is marked `approximate`;
- Midjourney is charged per call under `mj_<action>`; `--fast` and `--turbo` cost twice a
  default job, `--draft` half (the last speed flag in the prompt counts);
- videos are charged per token under the SKU `<model>-{novideo|withvideo}-{480p|720p|1080p}`
  (`withvideo` only with reference videos), else under the model's own name.
No price list means `unknown`, a model the list does not name means `unlisted`: never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

QUOTA_PER_USD = Decimal(500_000)
CENT = Decimal("0.000001")
# Typical usage, for per-token models before they ran: the contract's example reply of a 5 s
# video reports 324,900 tokens (64,980 a second); an image reply ~1,300 output tokens.
VIDEO_TOKENS_PER_SECOND = 64_980
IMAGE_OUTPUT_TOKENS = 1_300
SPEED = re.compile(r"--(fast|turbo|draft|relax)\b")
SPEED_FACTORS = {"fast": Decimal(2), "turbo": Decimal(2), "draft": Decimal("0.5")}

OK, UNKNOWN, UNLISTED = "ok", "unknown", "unlisted"


@dataclass(frozen=True)
class Price:
    quota_type: int
    model_ratio: Decimal
    model_price: Decimal
    completion_ratio: Decimal


@dataclass(frozen=True)
class PriceTable:
    """The parts of `/api/pricing` an estimate needs, as Decimals."""

    models: dict[str, Price]
    group_ratio: dict[str, Decimal]

    @classmethod
    def from_json(cls, data: Any) -> PriceTable | None:
        """From the price-list reply (or its stored copy); None when it holds no prices."""
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            return None
        models = {}
        for item in data["data"]:
            if not isinstance(item, dict) or not item.get("model_name"):
                continue
            models[str(item["model_name"])] = Price(
                quota_type=_int(item.get("quota_type")),
                model_ratio=_dec(item.get("model_ratio")),
                model_price=_dec(item.get("model_price")),
                completion_ratio=_dec(item.get("completion_ratio"), Decimal(1)) or Decimal(1),
            )
        ratios = data.get("group_ratio") if isinstance(data.get("group_ratio"), dict) else {}
        group_ratio = {str(k): _dec(v, Decimal(1)) for k, v in ratios.items()}
        return cls(models, group_ratio) if models else None

    def ratio(self, group: str) -> Decimal:
        return self.group_ratio.get(group, Decimal(1))


@dataclass(frozen=True)
class Request:
    """What will be sent: the same fields a Generation row holds."""

    kind: str  # image | mj | video
    model: str = ""
    action: str = "generate"
    prompt: str = ""
    params: dict | None = None
    count: int = 1


@dataclass(frozen=True)
class Estimate:
    status: str  # ok | unknown (no price list) | unlisted (the list has no price for it)
    usd: Decimal | None = None  # for all COUNT tasks together
    approximate: bool = False  # a per-token price from typical usage
    count: int = 1
    billing_model: str = ""
    factor: Decimal = Decimal(1)  # MJ speed factor applied

    @property
    def known(self) -> bool:
        return self.status == OK and self.usd is not None

    @property
    def each(self) -> Decimal | None:
        return None if self.usd is None else (self.usd / max(1, self.count)).quantize(CENT)


def _dec(value: Any, default: Decimal = Decimal(0)) -> Decimal:
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        return default
    return number if number.is_finite() else default


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def mj_speed_factor(prompt: str) -> Decimal:
    found = SPEED.findall(prompt or "")
    return SPEED_FACTORS.get(found[-1], Decimal(1)) if found else Decimal(1)


def billing_models(request: Request) -> list[str]:
    """Price-list names the request may be charged under, most specific first."""
    params = request.params or {}
    if request.kind == "mj":
        return [f"mj_{request.action}"]
    if request.kind == "video":
        resolution = params.get("resolution") or "720p"
        with_video = "withvideo" if params.get("reference_video_urls") else "novideo"
        return [f"{request.model}-{with_video}-{resolution}", request.model]
    return [request.model]


def typical_tokens(request: Request) -> tuple[int, int]:
    """(input, output) tokens a per-token model typically reports for REQUEST."""
    params = request.params or {}
    if request.kind == "video":
        try:
            seconds = max(1, int(params.get("duration") or 5))
        except (TypeError, ValueError):
            seconds = 5
        return 0, VIDEO_TOKENS_PER_SECOND * seconds
    return len(request.prompt or "") // 4 + 5, IMAGE_OUTPUT_TOKENS


def estimate(
    prices: PriceTable | None, request: Request, group: str = "default", usage: dict | None = None
) -> Estimate:
    """What REQUEST (COUNT identical tasks) costs. With USAGE (a finished task's reported
    tokens) a per-token price is exact rather than approximate."""
    count = max(1, int(request.count or 1))
    if prices is None:
        return Estimate(UNKNOWN, count=count)
    names = billing_models(request)
    name = next((n for n in names if n in prices.models), "")
    if not name:
        return Estimate(UNLISTED, count=count, billing_model=names[0])
    price, ratio = prices.models[name], prices.ratio(group)
    factor = mj_speed_factor(request.prompt) if request.kind == "mj" else Decimal(1)
    approximate = False
    if price.quota_type == 1:
        each = price.model_price * ratio * factor
    else:
        tokens_in, tokens_out = _reported_tokens(usage) or typical_tokens(request)
        approximate = not _reported_tokens(usage)
        weighted = Decimal(tokens_in) + Decimal(tokens_out) * price.completion_ratio
        each = weighted * price.model_ratio * ratio * factor / QUOTA_PER_USD
    total = (each * count).quantize(CENT, rounding=ROUND_HALF_UP)
    return Estimate(OK, total, approximate, count, name, factor)


def _reported_tokens(usage: dict | None) -> tuple[int, int] | None:
    if not isinstance(usage, dict) or not usage:
        return None
    out = _int(usage.get("output_tokens") or usage.get("completion_tokens"))
    given = _int(usage.get("input_tokens") or usage.get("prompt_tokens"))
    if not out and not given:
        total = _int(usage.get("total_tokens"))
        return (0, total) if total else None
    return given, out
