"""Request checks that hold for every page, whatever view or form reads the values."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"


def _texts(request: HttpRequest):
    """Every piece of text a view could read from REQUEST: the path, query string and form
    fields (names and values), upload file names and cookies."""
    yield request.path
    forms = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    for form in forms:
        for key, values in form.lists():
            yield key
            yield from values
    yield from (text for pair in request.COOKIES.items() for text in pair)
    if request.method == "POST":
        for key, files in request.FILES.lists():
            yield key
            yield from (f.name or "" for f in files)


def _has_nul(request: HttpRequest) -> bool:
    return any(NUL in text for text in _texts(request))


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
