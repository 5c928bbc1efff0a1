"""Review links and verdicts where the team works: under an item, under a board."""

from __future__ import annotations

from django import template
from django.db.models import Count, Q

from ..forms import CreateLinkForm
from ..models import ReviewLink, ReviewVerdict

register = template.Library()


@register.inclusion_tag("sharing/_item_reviews.html", takes_context=True)
def item_reviews(context, item):
    request = context["request"]
    membership = getattr(request, "membership", None)
    verdicts = list(
        ReviewVerdict.objects.filter(item=item, link__team=request.team).select_related("link")[:20]
    )
    return {
        "item": item,
        "verdicts": verdicts,
        "form": CreateLinkForm(),
        "can_share": bool(membership and membership.can_generate),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("sharing/_board_reviews.html", takes_context=True)
def board_reviews(context, board):
    request = context["request"]
    membership = getattr(request, "membership", None)
    links = (
        ReviewLink.objects.filter(team=request.team, board=board)
        .annotate(
            n_approved=Count("verdicts", filter=Q(verdicts__verdict="approve"), distinct=True),
            n_changes=Count("verdicts", filter=Q(verdicts__verdict="changes"), distinct=True),
        )
        .order_by("-created_at")[:10]
    )
    return {
        "board": board,
        "links": list(links),
        "form": CreateLinkForm(),
        "can_share": bool(membership and membership.can_generate) and not board.is_smart,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
