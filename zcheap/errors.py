"""One error hierarchy for every Zcheap failure, so callers can act on the class alone.

`user_message` is translated and safe to show; `upstream_message` keeps Zcheap's own text for a
"details" disclosure. Nothing here ever contains the API key.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ZcheapError(Exception):
    """Base class. `retryable` tells a caller whether the same call may simply be tried again."""

    default_message = _("Zcheap could not handle the request.")
    retryable = False
    not_sent = False  # True only when the request never left this machine (safe to repeat)

    def __init__(
        self,
        upstream_message: str = "",
        *,
        status_code: int | None = None,
        code: str | int | None = None,
        user_message=None,
    ):
        self.upstream_message = (upstream_message or "").strip()
        self.status_code = status_code
        self.code = "" if code is None else str(code)
        self.user_message = user_message or self.default_message
        super().__init__(self.upstream_message or str(self.default_message))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status_code}, code={self.code!r}, "
            f"upstream={self.upstream_message!r})"
        )


class NoApiKeyError(ZcheapError):
    """The team has no key and demo mode is off: nothing was sent."""

    default_message = _(
        "This team has no Zcheap API key yet, so nothing was sent. An owner can add the key on "
        "the team page."
    )
    not_sent = True


class AuthenticationError(ZcheapError):
    default_message = _(
        "Zcheap refused the API key. Check the key in the team settings (it may be wrong, "
        "disabled or expired)."
    )


class QuotaError(ZcheapError):
    default_message = _("The Zcheap account has no balance or quota left for this request.")


class InvalidRequestError(ZcheapError):
    default_message = _("Zcheap rejected the request. Change the settings and try again.")


class ModerationError(InvalidRequestError):
    default_message = _("Zcheap refused the prompt or an image (content review).")


class UpstreamRefusedError(InvalidRequestError):
    """A 401/403 that is not the gateway's own key check: Zcheap's provider said no (§0)."""

    default_message = _(
        "Zcheap's provider refused this request. Your API key is fine; the details below say "
        "why. Change the request, or try again later."
    )


class NotFoundError(ZcheapError):
    default_message = _("Zcheap does not know this task or item (any more).")


class RateLimitedError(ZcheapError):
    default_message = _("Zcheap is busy right now. The request will be tried again shortly.")
    retryable = True

    def __init__(self, *args, retry_after: float | None = None, **kwargs):
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class TransientError(ZcheapError):
    default_message = _("Zcheap could not be reached or had a temporary problem.")
    retryable = True


class NotReadyError(TransientError):
    """The video content route answered 400: the task is not finished yet (§0)."""

    default_message = _("The video is not ready to download yet.")


class PermanentError(ZcheapError):
    default_message = _("Zcheap failed to handle the request.")


class AmbiguousSubmitError(ZcheapError):
    """The submit may or may not have reached Zcheap. Never repeat it automatically: it costs money."""

    default_message = _(
        "We could not tell whether Zcheap received this request. It was not sent again, so that "
        "you are not charged twice. Check your Zcheap task list, then retry if it is not there."
    )


class MalformedResponseError(ZcheapError):
    default_message = _("Zcheap sent a reply we could not read.")
    retryable = True


class AssetError(ZcheapError):
    """An asset route answered HTTP 200 with success:false."""

    default_message = _("The asset library refused the request.")


class AssetNotFoundError(AssetError, NotFoundError):
    default_message = _("The asset or asset group does not exist on Zcheap (any more).")


class AssetQuotaError(AssetError, QuotaError):
    default_message = _("The asset library quota is used up.")
