"""The team's side of review links: create one from a board or an item, see them, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

import audit
from accounts.models import Role
from accounts.permissions import redirect_back, team_view
from gallery.models import Board, MediaItem
from zcheap_site.params import parse_id

from .forms import CreateLinkForm
from .models import ReviewLink, ReviewLinkItem, ReviewVerdict

MAX_ITEMS = 500


def _links(request: HttpRequest):
    return ReviewLink.objects.visible_to(request.team, request.user)


def _source(request: HttpRequest):
    """(board, items) the link is made from: a non-smart board the user sees, or one item."""
    board_id = parse_id(request.POST.get("board", ""))
    if board_id is not None:
        board = get_object_or_404(
            Board.objects.visible_to(request.team, request.user).filter(query=""), pk=board_id
        )
        items = list(
            board.items.filter(deleted_at__isnull=True).order_by("boarditem__added_at", "pk")[
                :MAX_ITEMS
            ]
        )
        return board, items
    item = get_object_or_404(
        MediaItem,
        pk=parse_id(request.POST.get("item", "")) or 0,
        team=request.team,
        deleted_at__isnull=True,
    )
    return None, [item]


def absolute(request: HttpRequest, link: ReviewLink) -> str:
    return request.build_absolute_uri(reverse("review_page", args=[link.token]))


@require_POST
@team_view(Role.MEMBER)
def create_link(request: HttpRequest) -> HttpResponse:
    board, items = _source(request)
    form = CreateLinkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect_back(request, reverse("sharing:links"))
    if not items:
        messages.error(request, _("This board has no pictures to show yet."))
        return redirect_back(request, reverse("sharing:links"))
    data = form.cleaned_data
    with transaction.atomic():
        link = ReviewLink(
            team=request.team,
            created_by=request.user,
            board=board,
            title=data["title"] or (board.name if board else ""),
            show_prompts=data["show_prompts"],
            expires_at=ReviewLink.default_expiry(data["days"]),
        )
        link.set_password(data["password"])
        link.save()
        ReviewLinkItem.objects.bulk_create(
            ReviewLinkItem(link=link, item=item, position=n) for n, item in enumerate(items)
        )
        audit.record(
            request.team,
            request.user,
            "review_link.created",
            target=str(link),
            after={
                "items": len(items),
                "board": board.name if board else None,
                "expires_at": link.expires_at.isoformat(),
                "password": link.has_password,
                "show_prompts": link.show_prompts,
            },
            request=request,
        )
    messages.success(request, _("Review link created. Copy it and send it to your reviewer."))
    return redirect("sharing:link_detail", link_id=link.pk)


@require_safe
@team_view()
def links(request: HttpRequest) -> HttpResponse:
    rows = (
        _links(request)
        .select_related("created_by", "board")
        .annotate(
            n_items=Count("reviewlinkitem", distinct=True),
            n_approved=Count("verdicts", filter=Q(verdicts__verdict="approve"), distinct=True),
            n_changes=Count("verdicts", filter=Q(verdicts__verdict="changes"), distinct=True),
        )[:200]
    )
    return render(request, "sharing/links.html", {"links": rows})


def _may_revoke(request: HttpRequest, link: ReviewLink) -> bool:
    return request.membership.can_manage or (
        request.membership.can_generate and link.created_by_id == request.user.id
    )


@require_safe
@team_view()
def link_detail(request: HttpRequest, link_id: int) -> HttpResponse:
    link = get_object_or_404(_links(request).select_related("created_by", "board"), pk=link_id)
    verdicts: dict[int, list[ReviewVerdict]] = {}
    for v in link.verdicts.all():
        verdicts.setdefault(v.item_id, []).append(v)
    items = [(item, verdicts.get(item.pk, [])) for item in link.live_items()]
    context = {
        "link": link,
        "url": absolute(request, link),
        "items": items,
        "may_revoke": _may_revoke(request, link),
    }
    return render(request, "sharing/link_detail.html", context)


@require_POST
@team_view(Role.MEMBER)
def revoke_link(request: HttpRequest, link_id: int) -> HttpResponse:
    link = get_object_or_404(_links(request), pk=link_id)
    if not _may_revoke(request, link):
        raise Http404
    if link.revoke():
        audit.record(
            request.team,
            request.user,
            "review_link.revoked",
            target=str(link),
            before={"expires_at": link.expires_at.isoformat()},
            request=request,
        )
        messages.success(request, _("Review link revoked: it shows nothing any more."))
    return redirect_back(request, reverse("sharing:link_detail", args=[link.pk]))
