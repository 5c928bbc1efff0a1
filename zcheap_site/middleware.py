"""Request checks that hold for every page, whatever view or form reads the values."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"


def _has_nul(request: HttpRequest) -> bool:
    """A NUL character anywhere a view could read text from: the path, query string, form
    fields (names and values), upload file names and cookies."""
    if NUL in request.path:
        return True
    sources = [request.GET, request.COOKIES]
    if request.method == "POST":
        sources += [request.POST]
    for source in sources:
        for key, values in source.lists() if hasattr(source, "lists") else source.items():
            if NUL in key or any(
                NUL in str(v) for v in (values if isinstance(values, list) else [values])
            ):
                return True
    if request.method == "POST":
        for key, files in request.FILES.lists():
            if NUL in key or any(NUL in (f.name or "") for f in files):
                return True
    return False


class RejectNulBytesMiddleware:
    """A 400 for any request carrying a NUL character.

    PostgreSQL cannot store or compare text containing NUL, so such a value reaching any query
    (a board name, a search, an invitation token) was a server error there and not on SQLite.
    No field of ours has a use for it: refusing the request once, here, covers every form and
    filter, including ones added later.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return HttpResponseBadRequest(
                _(
                    "The request contained a NUL character (\\0), which no field accepts. "
                    "Remove it and try again."
                ),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
