"""Review links and verdicts where the team works: under an item, under a board."""

from __future__ import annotations

from django import template
from django.db.models import Count, Q

from ..forms import CreateLinkForm
from ..models import ReviewLink, ReviewVerdict

register = template.Library()
# What the new-link form shows of CreateLinkForm: its fields' labels (translated when shown).
# The class's own fields, not a new form per page (building one deep-copies every field).
LINK_FORM_FIELDS = CreateLinkForm.base_fields


@register.inclusion_tag("sharing/_item_reviews.html", takes_context=True)
def item_reviews(context, item, reviewed=True):
    """The verdicts on ITEM and the form for a new link. REVIEWED=False: the caller knows that
    nobody gave ITEM a verdict (the item page reads that with its other lookups): no query."""
    request = context["request"]
    membership = getattr(request, "membership", None)
    verdicts = []
    if reviewed:
        verdicts = list(
            ReviewVerdict.objects.filter(item=item, link__team=request.team).select_related("link")[
                :20
            ]
        )
    return {
        "item": item,
        "verdicts": verdicts,
        "form": LINK_FORM_FIELDS,
        "can_share": bool(membership and membership.can_generate),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def review_links_for(context, boards) -> dict:
    """Review links of BOARDS by board id, in one query (the boards page lists them)."""
    request = context["request"]
    found: dict[int, list[ReviewLink]] = {}
    rows = (
        ReviewLink.objects.filter(team=request.team, board__in=[b.pk for b in boards])
        .annotate(
            n_approved=Count("verdicts", filter=Q(verdicts__verdict="approve"), distinct=True),
            n_changes=Count("verdicts", filter=Q(verdicts__verdict="changes"), distinct=True),
        )
        .order_by("-created_at")
    )
    for link in rows:
        found.setdefault(link.board_id, []).append(link)
    return found


@register.inclusion_tag("sharing/_board_reviews.html", takes_context=True)
def board_reviews(context, board, links_by_board):
    request = context["request"]
    membership = getattr(request, "membership", None)
    return {
        "board": board,
        "links": links_by_board.get(board.pk, [])[:10],
        "form": LINK_FORM_FIELDS,
        "can_share": bool(membership and membership.can_generate) and not board.is_smart,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
