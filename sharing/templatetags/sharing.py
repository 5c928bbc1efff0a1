"""Review links and verdicts where the team works: under an item, under a board."""

from __future__ import annotations

from django import template
from django.db.models import Count, Q
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from zcheap_site.fast_url import cached_reverse

from ..forms import CreateLinkForm
from ..models import ReviewLink, ReviewVerdict

register = template.Library()
# What the new-link form shows of CreateLinkForm: its fields' labels (translated when shown).
# The class's own fields, not a new form per page (building one deep-copies every field).
LINK_FORM_FIELDS = CreateLinkForm.base_fields
_CSRF = CsrfTokenNode()
_share_forms: dict[tuple, tuple[str, str]] = {}


@register.simple_tag(takes_context=True)
def share_form(context) -> SafeString:
    """The "Create review link" form for the context's `board`, else its `item`: the form that
    was sharing/_create_form.html, its fixed part built once per process and language (it is
    on every item page; tests/sharing/test_share_form_html.py compares it with that template)."""
    key = (get_language(), get_script_prefix(), get_urlconf())
    found = _share_forms.get(key)
    if found is None:
        labels = {name: escape(field.label) for name, field in LINK_FORM_FIELDS.items()}
        # Translated outside the f-strings below, where makemessages would not find them.
        summary, submit = escape(gettext("Create review link")), escape(gettext("Create link"))
        head = (
            '<details class="share-details">\n'
            f'  <summary class="btn btn-small">{summary}</summary>\n'
            f'  <form method="post" action="{escape(cached_reverse("sharing:create_link"))}" '
            'class="share-form" data-share-form>\n    '
        )
        tail = (
            f'\n    <label>{labels["title"]} <input name="title" maxlength="120"></label>\n'
            f'    <label>{labels["days"]} <input type="number" name="days" min="1" '
            'max="90" value="14" required></label>\n'
            f'    <label>{labels["password"]} <input type="password" name="password" '
            'maxlength="128" autocomplete="new-password"></label>\n'
            '    <label class="check"><input type="checkbox" name="show_prompts" value="on"> '
            f"{labels['show_prompts']}</label>\n"
            '    <button class="btn btn-primary btn-small" type="submit">'
            f"{submit}</button>\n  </form>\n</details>"
        )
        found = _share_forms[key] = (head, tail)
    request = context.get("request")
    path = escape(request.get_full_path()) if request is not None else ""
    board = context.get("board")
    if board:
        target = f'<input type="hidden" name="board" value="{escape(board.pk)}">'
    else:
        item = context.get("item")
        target = f'<input type="hidden" name="item" value="{escape(getattr(item, "pk", ""))}">'
    return mark_safe(  # noqa: S308 - every value is escaped
        f"{found[0]}{_CSRF.render(context)}\n"
        f'    <input type="hidden" name="next" value="{path}">\n    {target}{found[1]}'
    )


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
