"""Content-Security-Policy for every response.

Scripts, styles, images, media and requests come from our own origin only; no inline script or
style, no eval (htmx runs with `allowEval: false`, see base.html), no framing, forms post only
to us. htmx settles only class/width/height (`attributesToSettle`, base.html): settling `style`
copied a field's CSSOM-set style (textarea resize, autofill, extensions) onto the swapped-in
element with setAttribute, which this policy refuses. Pictures drawn in the browser (the vary-region mask) are `data:`/`blob:` images.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def default_policy() -> str:
    """Our origin for everything; asset thumbnails also come from Zcheap's own hosts (https:)
    and, in demo mode, from our public link base (ZCHEAP_PUBLIC_BASE_URL)."""
    public = urlsplit(settings.ZCHEAP_PUBLIC_BASE_URL)
    public_origin = f"{public.scheme}://{public.netloc}" if public.netloc else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob: https: {public_origin}".strip(),
            f"media-src 'self' blob: https: {public_origin}".strip(),
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """Add the policy unless a view set its own (CONTENT_SECURITY_POLICY="" turns it off).

    In DEBUG, error responses keep Django's technical pages working (they use inline styles).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        if self.policy is None:
            self.policy = default_policy()

    def __call__(self, request):
        response = self.get_response(request)
        policy = self.policy
        debug_page = settings.DEBUG and response.status_code >= 400  # Django's own, inline CSS
        if policy and not debug_page and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
