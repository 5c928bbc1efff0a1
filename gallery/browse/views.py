"""The team gallery: grid with filters, detail (lightbox or page), favourites, delete/undo, boards."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

import audit
from accounts.models import Role
from accounts.permissions import redirect_back, team_view
from gallery import choices
from gallery.models import Board, BoardItem, Favourite, Generation, MediaItem
from sharing.models import ReviewVerdict
from zcheap_site.compression import compress_html
from zcheap_site.params import parse_id, parse_ids

from . import listings, tiles, zips
from .compare import MAX_ITEMS, MIN_ITEMS, comparison
from .filters import GalleryFilters, gallery_queryset, page_of

MAX_SELECTION = 500
ALL_MODELS = list(choices.MODEL_NAMES.items())


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _boards_for(request: HttpRequest):
    return Board.objects.visible_to(request.team, request.user)


@compress_html
@require_safe
@team_view()
def browse(request: HttpRequest) -> HttpResponse:
    filters = GalleryFilters.from_query(request.GET, request.team, request.user)
    queryset = filters.apply(gallery_queryset(request.team, request.user), request.user)
    items, next_cursor = page_of(queryset, request.GET.get("after", ""))
    context = {
        "items": items,
        "next_cursor": next_cursor,
        "filters": filters,
        "query": _query_without(request, "after"),
        # Read only when the template shows them (the full page, not an infinite-scroll page).
        "boards": SimpleLazyObject(lambda: listings.boards(request.team, request.user)),
        "members": SimpleLazyObject(lambda: listings.members(request.team)),
        "models": ALL_MODELS,  # known constants: no scan over every item for a dropdown
        # Reversed once per page, not three times per tile.
        "detail_base": reverse("gallery:item_detail", args=[0]).removesuffix("0/"),
        "media_base": reverse("gallery:media_file", args=[0]).removesuffix("0/"),
        "page_is_continuation": bool(request.GET.get("after")),
    }
    context["tiles"] = tiles.render_tiles(items, context["detail_base"], context["media_base"])
    if request.htmx and request.GET.get("after"):
        return render(
            request, "gallery/_grid_items.html", context
        )  # infinite scroll: the next page
    if request.htmx and request.headers.get("HX-Target") == "grid":
        response = render(request, "gallery/browse.html#grid", context)
        clean = QueryDict(mutable=True)  # shareable URLs: only the filters actually set
        for key, value in request.GET.items():
            if value and key != "after":
                clean[key] = value
        response["HX-Push-Url"] = reverse("gallery:browse") + (
            f"?{clean.urlencode()}" if clean else ""
        )
        return response
    return render(request, "gallery/browse.html", context)


def _item(request: HttpRequest, item_id: int) -> MediaItem:
    return get_object_or_404(
        MediaItem.objects.select_related("user", "generation", "generation__parent"),
        pk=item_id,
        team=request.team,
        deleted_at__isnull=True,
    )


def lineage(item: MediaItem, sources: list[int], made: list[int]) -> dict:
    """Parent and children across engines: what this came from and what was made from it.

    SOURCES and MADE are ITEM's links as `_around` reads them (most items have none: no query).
    """
    generation = item.generation
    parents, children = [], []
    if generation is not None:
        if generation.parent_id:  # an MJ action: the image it acted on (or the whole grid)
            acted_on = generation.parent.items.filter(deleted_at__isnull=True)
            if generation.parent_index:
                acted_on = acted_on.filter(index=generation.parent_index - 1)
            parents += list(acted_on[:4])
        if sources:
            parents += [
                i
                for i in MediaItem.objects.filter(pk__in=sources, deleted_at__isnull=True)
                if i not in parents
            ]
        if made:
            children = list(
                MediaItem.objects.filter(
                    team_id=item.team_id, generation_id__in=made, deleted_at__isnull=True
                ).select_related("generation")[:12]
            )
    return {"parents": parents[:8], "children": children}


# _around's parts: table names and the team condition are filled in, values are parameters.
AROUND_ITEM = [
    "SELECT 'n', id FROM (SELECT id FROM {items} WHERE {team} AND deleted_at IS NULL AND id > %s "
    "ORDER BY team_id DESC, id LIMIT 1) n",
    "SELECT 'o', id FROM (SELECT id FROM {items} WHERE {team} AND deleted_at IS NULL AND id < %s "
    "ORDER BY team_id, id DESC LIMIT 1) o",
    "SELECT 'f', item_id FROM {favourites} WHERE user_id = %s AND item_id = %s",
    "SELECT 'v', x FROM (SELECT item_id AS x FROM {verdicts} WHERE item_id = %s LIMIT 1) v",
]
AROUND_TASK = [
    "SELECT 's', x FROM (SELECT mediaitem_id AS x FROM {through} WHERE generation_id = %s "
    "LIMIT 100) s",
    "SELECT 'm', x FROM (SELECT id AS x FROM {generations} WHERE parent_id = %s "
    "AND parent_index = %s LIMIT 100) a",
    "SELECT 'm', x FROM (SELECT generation_id AS x FROM {through} WHERE mediaitem_id = %s "
    "LIMIT 100) r",
]


def _around(item: MediaItem, user_id: int | None) -> dict:
    """What the item page shows around ITEM, in one query of index lookups (UNION ALL).

    `newer`/`older`: the team's next live item either way (the team index, walked as
    gallery_queryset does; see of_team); `is_favourite`: whether USER_ID marked it; `reviewed`:
    whether any reviewer gave it a verdict (most items have none: the page then skips the
    verdicts query, sharing's `item_reviews`); `sources`: the
    items ITEM's task used as references; `made`: the tasks made from ITEM (MJ actions on its
    picture, by index gen_parent, and tasks that used it as a reference). Plain SQL on purpose:
    building the same as ORM subqueries and a union cost more CPU than the rest of the page's
    queries together (bench_pages, item detail). Each part is an index lookup, never a scan
    (an OR of them across a join made both databases read every generation;
    tests/gallery/test_query_counts.py EXPLAINs every query at 100,000 items).
    """
    if connection.vendor == "postgresql":  # the team as a range keeps team_id in the order
        team, team_params = "team_id >= %s AND team_id <= %s", [item.team_id, item.team_id]
    else:
        team, team_params = "team_id = %s", [item.team_id]
    tables = {
        "items": MediaItem._meta.db_table,
        "favourites": Favourite._meta.db_table,
        "verdicts": ReviewVerdict._meta.db_table,
        "through": Generation.source_items.through._meta.db_table,
        "generations": Generation._meta.db_table,
        "team": team,
    }
    parts = AROUND_ITEM if item.generation_id is None else AROUND_ITEM + AROUND_TASK
    params = [*team_params, item.pk, *team_params, item.pk, user_id, item.pk, item.pk]
    if item.generation_id is not None:
        params += [item.generation_id, item.generation_id, item.index + 1, item.pk]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts).format(**tables), params)
        rows = cursor.fetchall()
    found: dict[str, list[int]] = {"n": [], "o": [], "f": [], "v": [], "s": [], "m": []}
    for kind, pk in rows:
        found[kind].append(pk)
    return {
        "newer": found["n"][0] if found["n"] else None,
        "older": found["o"][0] if found["o"] else None,
        "is_favourite": bool(found["f"]),
        "reviewed": bool(found["v"]),
        "sources": found["s"],
        "made": list(dict.fromkeys(found["m"]))[:50],
    }


def made_from(item: MediaItem) -> list[int]:
    """Generations that used ITEM: MJ actions on its image, and tasks with it as a reference."""
    return _around(item, None)["made"]


@compress_html
@require_safe
@team_view()
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    # The item as its bare render reads it; its neighbours, favourite mark and lineage links in
    # one plain-SQL query (_around); the boards from the cached filter list.
    item = _item(request, item_id)
    around = _around(item, request.user.pk)
    context = {
        "item": item,
        "g": item.generation,
        **lineage(item, around["sources"], around["made"]),
        "is_favourite": around["is_favourite"],
        "newer": around["newer"],
        "older": around["older"],
        "reviewed": around["reviewed"],
        "boards": [b for b in listings.boards(request.team, request.user) if not b.is_smart],
        "can_delete": _can_delete(request, item),
    }
    template = "gallery/item_detail.html#detail" if request.htmx else "gallery/item_detail.html"
    return render(request, template, context)


def _can_delete(request: HttpRequest, item: MediaItem) -> bool:
    return request.membership.may_delete(item)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    return redirect_back(request, fallback)


@require_POST
@team_view(Role.MEMBER)
def toggle_favourite(request: HttpRequest, item_id: int) -> HttpResponse:
    """Favourites are per person (viewers only browse)."""
    item = _item(request, item_id)
    deleted, _count = Favourite.objects.filter(user=request.user, item=item).delete()
    if not deleted:
        # get_or_create: a double click racing us still ends as one favourite
        Favourite.objects.get_or_create(user=request.user, item=item)
    if request.htmx:
        return render(
            request, "gallery/_fav_button.html", {"item": item, "is_favourite": not deleted}
        )
    return _back(request, reverse("gallery:item_detail", args=[item.pk]))


@require_POST
@team_view(Role.MEMBER)
def delete_item(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request, item_id)
    if not _can_delete(request, item):
        raise Http404  # members delete only their own
    _delete(request, [item.pk])
    messages.success(
        request,
        _("Deleted. Changed your mind? Press Undo."),
        extra_tags=f"undo:{item.pk}",
    )
    if request.htmx:
        response = HttpResponse("")
        response["HX-Trigger"] = "itemDeleted"
        return response
    return _back(request, reverse("gallery:browse"))


def _record_items(request: HttpRequest, kind: str, ids: list[int]) -> None:
    if ids:
        audit.record(
            request.team,
            request.user,
            kind,
            ", ".join(f"#{pk}" for pk in ids),
            after={"count": len(ids), "items": ids[:MAX_SELECTION]},
            request=request,
        )


def _delete(request: HttpRequest, ids: list[int]) -> list[int]:
    """Move the items with IDS to the trash (those not there already) and record who did it."""
    with transaction.atomic():
        live = MediaItem.objects.filter(pk__in=ids, deleted_at__isnull=True)
        deleted = sorted(live.select_for_update().values_list("pk", flat=True), reverse=True)
        MediaItem.objects.filter(pk__in=deleted).update(
            deleted_at=timezone.now(), deleted_by=request.user
        )
        _record_items(request, "gallery.deleted", deleted)
    return deleted


def _trash(request: HttpRequest):
    """Deleted items still restorable (TRASH_DAYS): the owner's own, or any for an admin."""
    items = MediaItem.objects.filter(
        team=request.team, deleted_at__gte=timezone.now() - timedelta(days=MediaItem.TRASH_DAYS)
    )
    if not request.membership.can_manage:
        items = items.filter(user=request.user)
    return items


@require_safe
@team_view(Role.MEMBER)
def trash(request: HttpRequest) -> HttpResponse:
    """What was deleted in the last 30 days, to restore (older items are purged)."""
    items = _trash(request).select_related("user", "deleted_by").order_by("-deleted_at")
    page = Paginator(items, 60).get_page(request.GET.get("page"))
    return render(request, "gallery/trash.html", {"page": page, "days": MediaItem.TRASH_DAYS})


@require_POST
@team_view(Role.MEMBER)
def restore_items(request: HttpRequest) -> HttpResponse:
    """Undo a delete (one item or a multi-select), within the trash's 30 days."""
    raw = request.POST.getlist("item") + request.POST.get("items_csv", "").split(",")
    ids = parse_ids(raw)[:MAX_SELECTION]
    with transaction.atomic():
        items = [
            i
            for i in _trash(request).filter(pk__in=ids).select_for_update()
            if _can_delete(request, i)
        ]
        MediaItem.objects.filter(pk__in=[i.pk for i in items]).update(
            deleted_at=None, deleted_by=None
        )
        _record_items(request, "gallery.restored", [i.pk for i in items])
    messages.success(request, _("Restored %(n)d.") % {"n": len(items)})
    return _back(request, reverse("gallery:browse"))


def _selected(request: HttpRequest, source) -> list[MediaItem]:
    ids = parse_ids(source.getlist("item"))[:MAX_SELECTION]
    return list(
        MediaItem.objects.filter(team=request.team, pk__in=ids, deleted_at__isnull=True).order_by(
            "-pk"
        )
    )


@require_POST
@team_view()
def download_zip(request: HttpRequest) -> HttpResponse:
    """The selected originals as one ZIP, streamed. A POST because 500 ids do not fit in a URL;
    viewers may use it too (downloading is browsing, it changes nothing)."""
    items = _selected(request, request.POST)
    if not items:
        messages.error(request, _("Select the images to download first."))
        return redirect("gallery:browse")
    response = StreamingHttpResponse(zips.stream_zip(items), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="zcheap-{len(items)}-items.zip"'
    return response


@require_POST
@team_view(Role.MEMBER)
def bulk(request: HttpRequest) -> HttpResponse:
    """Multi-select actions: add to a board, or delete (with undo)."""
    items = _selected(request, request.POST)
    if not items:
        messages.error(request, _("Select some images first."))
        return _bulk_done(request)
    if request.POST.get("do") == "delete":
        mine = [i for i in items if _can_delete(request, i)]
        _delete(request, [i.pk for i in mine])
        skipped = len(items) - len(mine)
        text = _("Deleted %(n)d.") % {"n": len(mine)}
        if skipped:
            text += " " + _("%(n)d made by others were kept (only admins delete those).") % {
                "n": skipped
            }
        messages.success(request, text, extra_tags="undo:" + ",".join(str(i.pk) for i in mine))
        return _bulk_done(request, deleted=[i.pk for i in mine])
    board = _board_from(request)
    for item in items:
        BoardItem.objects.get_or_create(board=board, item=item)
    messages.success(
        request, _("Added %(n)d to %(board)s.") % {"n": len(items), "board": board.name}
    )
    return _bulk_done(request)


def _bulk_done(request: HttpRequest, deleted: list[int] | None = None) -> HttpResponse:
    """Without htmx, back to the page. With htmx the page stays (its place and the pages
    already loaded): the messages arrive out of band and gallery.js removes deleted tiles."""
    if not request.htmx:
        return _back(request, reverse("gallery:browse"))
    response = render(request, "gallery/_messages_oob.html")
    response["HX-Reswap"] = "none"
    response["HX-Trigger"] = json.dumps({"itemsDeleted": deleted or []})
    return response


def _board_from(request: HttpRequest) -> Board:
    name = request.POST.get("new_board", "").strip()[:100]
    if name:
        return Board.objects.create(
            team=request.team,
            owner=request.user,
            name=name,
            shared=request.POST.get("shared") == "1",
        )
    return get_object_or_404(
        _boards_for(request).filter(query=""), pk=parse_id(request.POST.get("board", "")) or 0
    )


@require_POST
@team_view(Role.MEMBER)
def add_to_board(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request, item_id)
    board = _board_from(request)
    BoardItem.objects.get_or_create(board=board, item=item)
    if request.htmx:  # in the lightbox: stay there, say so next to the form
        context = {"item": item, "boards": _boards_for(request).filter(query=""), "added": board}
        return render(request, "gallery/item_detail.html#board-form", context)
    messages.success(request, _("Added to %(board)s.") % {"board": board.name})
    return _back(request, reverse("gallery:item_detail", args=[item.pk]))


@compress_html
@require_safe
@team_view()
def boards(request: HttpRequest) -> HttpResponse:
    return render(
        request, "gallery/boards.html", {"boards": _boards_for(request).select_related("owner")}
    )


@require_POST
@team_view(Role.MEMBER)
def create_board(request: HttpRequest) -> HttpResponse:
    """A board, or a smart board that keeps the current gallery filters (a saved search)."""
    name = request.POST.get("name", "").strip()[:100]
    if not name:
        messages.error(request, _("Give the board a name."))
        return _back(request, reverse("gallery:boards"))
    query = _saved_query(request.POST.get("query", "")) if request.POST.get("smart") == "1" else ""
    board = Board.objects.create(
        team=request.team,
        owner=request.user,
        name=name,
        shared=request.POST.get("shared") == "1",
        query=query,
    )
    messages.success(request, _("Board %(name)s created.") % {"name": board.name})
    return redirect(board_url(board))


def _saved_query(query: str) -> str:
    """A smart board's search, re-encoded without NUL characters: an escaped %00 passes the
    request check, and would make the board's page a 400 every time it is opened."""
    pairs = [
        (key.replace("\x00", ""), value.replace("\x00", ""))
        for key, values in QueryDict(query[:500]).lists()
        for value in values
    ]
    return urlencode(pairs)[:500]


def board_url(board: Board) -> str:
    return (
        f"{reverse('gallery:browse')}?{board.query}"
        if board.is_smart
        else f"{reverse('gallery:browse')}?board={board.pk}"
    )


@require_POST
@team_view(Role.MEMBER)
def delete_board(request: HttpRequest, board_id: int) -> HttpResponse:
    # Only boards the user can see: a private board is its owner's alone, admins included.
    board = get_object_or_404(_boards_for(request).select_related("owner"), pk=board_id)
    if board.owner_id != request.user.id and not request.membership.can_manage:
        raise Http404
    with transaction.atomic():
        audit.record(
            request.team,
            request.user,
            "board.deleted",
            board.name,
            before={
                "owner": board.owner.email,
                "shared": board.shared,
                "smart": board.is_smart,
                "items": board.items.count(),
            },
            request=request,
        )
        board.delete()
    messages.success(request, _("Board deleted; its images stay in the gallery."))
    return redirect("gallery:boards")


@require_safe
@team_view()
def compare(request: HttpRequest) -> HttpResponse:
    """2–4 selected items side by side (?item=…), with what differs between them highlighted."""
    ids = list(dict.fromkeys(parse_ids(request.GET.getlist("item"))))[: MAX_ITEMS + 1]
    found = {
        item.pk: item
        for item in MediaItem.objects.filter(
            team=request.team, pk__in=ids, deleted_at__isnull=True
        ).select_related("generation", "user")
    }
    items = [found[pk] for pk in ids if pk in found]
    if not MIN_ITEMS <= len(items) <= MAX_ITEMS:
        messages.error(
            request,
            _("Select %(min)d to %(max)d pictures to compare (you selected %(n)d).")
            % {"min": MIN_ITEMS, "max": MAX_ITEMS, "n": len(items)},
        )
        return redirect(reverse("gallery:browse"))
    context = {"items": items, **comparison(items)}
    context["columns"] = zip(items, context["prompts"], strict=True)
    return render(request, "gallery/compare.html", context)
