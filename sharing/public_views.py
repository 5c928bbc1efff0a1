"""What a reviewer outside the team sees: no login, no app chrome, only the link's items.

Every view starts from the link's token; a revoked or expired link shows nothing (404), and a
link with a password shows nothing until the password was typed in this browser session.
Media come through URLs signed for this link and item, valid for MEDIA_TTL, and checked
against the link on every request, so revoking stops them at once.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from gallery.browse import serve_item_variant
from notifications import events

from .forms import VerdictForm
from .models import ReviewLink, ReviewVerdict

MEDIA_TTL = 3600
VARIANTS = {"original", "large", "small", "poster"}
SESSION_UNLOCKED = "review_unlocked"
SESSION_NAME = "review_name"


def _salt(link: ReviewLink) -> str:
    return f"zcheap-studio.review-media.{link.token}"


def media_url(link: ReviewLink, item, variant: str) -> str:
    signed = signing.dumps([item.pk, variant], salt=_salt(link), compress=False)
    return reverse("review_media", args=[link.token, signed])


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # the token never leaks to other sites
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _gone(request: HttpRequest) -> HttpResponse:
    return _no_store(render(request, "sharing/review_gone.html", status=404))


def _link(token: str) -> ReviewLink | None:
    link = ReviewLink.objects.filter(token=token[:64]).select_related("team").first()
    return link if link is not None and link.is_usable else None


def _unlocked(request: HttpRequest, link: ReviewLink) -> bool:
    if not link.has_password:
        return True
    opened = request.session.get(SESSION_UNLOCKED, {})
    return opened.get(str(link.pk)) == link.password_fingerprint()


@login_not_required
@require_safe
def review_page(request: HttpRequest, token: str) -> HttpResponse:
    link = _link(token)
    if link is None:
        return _gone(request)
    if not _unlocked(request, link):
        return _no_store(render(request, "sharing/review_password.html", {"link": link}))
    return _no_store(render(request, "sharing/review.html", _page_context(request, link)))


def _page_context(request: HttpRequest, link: ReviewLink, **extra) -> dict:
    items = list(link.live_items().select_related("generation"))
    name = request.session.get(SESSION_NAME, "")
    mine = {}
    if name:
        for v in ReviewVerdict.objects.filter(link=link, reviewer_name=name):
            mine[v.item_id] = v
    cards = []
    for item in items:
        video = item.media_kind == "video"
        cards.append(
            {
                "item": item,
                "image": media_url(link, item, "large"),
                "original": media_url(link, item, "original"),
                "poster": media_url(link, item, "poster") if video else "",
                "mine": mine.get(item.pk),
                "settings": item.generation.settings_display
                if link.show_prompts and item.generation
                else [],
            }
        )
    return {"link": link, "cards": cards, "reviewer_name": name, **extra}


@login_not_required
@require_POST
def review_unlock(request: HttpRequest, token: str) -> HttpResponse:
    link = _link(token)
    if link is None:
        return _gone(request)
    if not link.has_password:
        return redirect("review_page", token=link.token)
    if not link.take_guess():
        error = _("Too many wrong passwords. Wait a quarter of an hour and try again.")
        return _no_store(
            render(
                request, "sharing/review_password.html", {"link": link, "error": error}, status=429
            )
        )
    if not link.check_password(request.POST.get("password", "")):
        error = _("That password is not right.")
        return _no_store(
            render(
                request, "sharing/review_password.html", {"link": link, "error": error}, status=403
            )
        )
    opened = dict(request.session.get(SESSION_UNLOCKED, {}))
    opened[str(link.pk)] = link.password_fingerprint()
    request.session[SESSION_UNLOCKED] = opened
    return redirect("review_page", token=link.token)


@login_not_required
@require_POST
def review_verdict(request: HttpRequest, token: str, item_id: int) -> HttpResponse:
    link = _link(token)
    if link is None:
        return _gone(request)
    if not _unlocked(request, link):
        return redirect("review_page", token=link.token)
    item = link.live_items().filter(pk=item_id).first()
    if item is None:
        raise Http404
    form = VerdictForm(request.POST)
    if not form.is_valid():
        context = _page_context(request, link, error_item=item.pk, form=form)
        return _no_store(render(request, "sharing/review.html", context, status=400))
    data = form.cleaned_data
    try:
        with transaction.atomic():
            verdict, _created = ReviewVerdict.objects.update_or_create(
                link=link,
                item=item,
                reviewer_name=data["name"],
                defaults={"verdict": data["verdict"], "comment": data["comment"]},
            )
    except IntegrityError:  # the same reviewer twice at once: the other one won
        verdict = ReviewVerdict.objects.get(link=link, item=item, reviewer_name=data["name"])
    request.session[SESSION_NAME] = data["name"]
    events.review_feedback.send_robust(
        sender=ReviewLink,
        link=link,
        item=item,
        verdict=verdict.verdict,
        comment=verdict.comment,
        reviewer_name=verdict.reviewer_name,
    )
    return redirect(reverse("review_page", args=[link.token]) + f"#item-{item.pk}")


@login_not_required
@require_safe
def review_media(request: HttpRequest, token: str, signed: str) -> HttpResponse:
    link = _link(token)
    if link is None or not _unlocked(request, link):
        raise Http404
    try:
        item_id, variant = signing.loads(signed, salt=_salt(link), max_age=MEDIA_TTL)
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404 from None
    if variant not in VARIANTS or not isinstance(item_id, int):
        raise Http404
    item = link.live_items().filter(pk=item_id).first()
    if item is None:
        raise Http404
    return serve_item_variant(request, item, variant)
