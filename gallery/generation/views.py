"""Create forms (image, Midjourney, video), live task cards, MJ actions and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseStopPolling

import spend
from accounts.models import Role
from accounts.permissions import redirect_back, require_role, team_view
from gallery.browse import team_members
from gallery.models import ACTIVE_STATES, Generation, Kind, MediaItem, State, card_versions
from presets import preset_initial
from zcheap_site.compression import compress_html
from zcheap_site.params import parse_id, parse_ids

from . import uploads, worker
from .creating import NewGeneration, create_generations
from .forms import ImageForm, MjActionForm, MjBlendForm, MjImagineForm, VideoForm

RECENT_ON_FORM = 12
HISTORY_PAGE = 24
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PAGE = "gallery/create.html"


def _generations(request: HttpRequest):
    return (
        Generation.objects.filter(team=request.team)
        .select_related("user", "parent")
        .prefetch_related("items", "source_items", "parent__items")
    )


def _get_generation(request: HttpRequest, generation_id: int) -> Generation:
    return get_object_or_404(_generations(request), pk=generation_id)


def initial_from(request: HttpRequest, form_class) -> dict:
    """Prefill a form from ?from=<generation> (reuse settings) and ?ref_item=<item>."""
    initial: dict = preset_initial(request, form_class)  # ?preset=<id>&ph_<name>=… (presets)
    source_id = parse_id(request.GET.get("from", ""))
    if source_id is not None:
        source = Generation.objects.filter(team=request.team, pk=source_id).first()
        if source is not None:
            initial.update(initial_from_generation(source, form_class))
    ref = parse_id(request.GET.get("ref_item", ""))
    if ref is not None and MediaItem.objects.filter(team=request.team, pk=ref).exists():
        initial.setdefault("reference_items", [])
        initial["reference_items"] = [*initial["reference_items"], ref]
        if form_class is VideoForm and request.GET.get("as") == "frame":
            initial["role_mode"] = "frame"
    return initial


def initial_from_generation(source: Generation, form_class) -> dict:
    """The form values SOURCE was made with, uploaded files included (as earlier uploads)."""
    initial: dict = {}
    p = source.params or {}
    initial.update(
        {k: v for k, v in p.items() if k in form_class.base_fields and not isinstance(v, dict)}
    )
    initial.update(p.get("flags") or {})
    initial["prompt"] = p.get("base_prompt", source.prompt)
    if source.model and "model" in form_class.base_fields:
        initial["model"] = source.model
    initial["reference_items"] = p.get("reference_items", [])
    initial["reference_uploads"] = p.get("reference_uploads", [])
    initial["reference_urls"] = "\n".join(p.get("reference_urls", []))
    for key in ("reference_video_urls", "reference_audio_urls"):
        if p.get(key):
            initial[key] = "\n".join(p[key])
    return initial


def _recent(request: HttpRequest, kinds: list[str]):
    return _generations(request).filter(user=request.user, kind__in=kinds)[:RECENT_ON_FORM]


def _create_page(
    request: HttpRequest, form_class, fields: str, kinds: list[str], extra: dict | None = None
):
    """GET shows the form; POST validates, creates and starts the task (PRG without htmx)."""
    form_kwargs = {"team": request.team, "user": request.user}
    extra = {"fields_template": fields, "kind": kinds[0], **(extra or {})}
    if request.method == "POST":
        require_role(request, Role.MEMBER)
        form = form_class(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            try:
                generation = form.create(request)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if request.htmx:  # the form keeps what was typed, picked and uploaded
                    kept = initial_from_generation(generation, form_class)
                    if "count" in form.cleaned_data:  # a form choice, not a task setting
                        kept["count"] = form.cleaned_data["count"]
                    fresh = form_class(initial=kept, **form_kwargs)
                    created = getattr(form, "created", [generation])
                    context = {"form": fresh, "new_generations": created[::-1], **extra}
                    return render(request, f"{PAGE}#create-form-created", context)
                messages.success(request, _("Started: the card below shows its progress."))
                return redirect(request.get_full_path())
        form = _keep_uploaded_files(request, form, form_class, form_kwargs)
        context = {"form": form, "recent": _recent(request, kinds), **extra}
        if request.htmx:  # errors replace the form in place
            return render(request, f"{PAGE}#create-form", context)
        return render(request, PAGE, context, status=400)
    form = form_class(initial=initial_from(request, form_class), **form_kwargs)
    return render(request, PAGE, {"form": form, "recent": _recent(request, kinds), **extra})


def _keep_uploaded_files(request: HttpRequest, form, form_class, form_kwargs):
    """A form with errors cannot hand files back to the browser, so the good uploads are stored
    and offered again, ticked, as earlier uploads: a typo in the prompt loses no picture."""
    files = request.FILES.getlist("reference_files")
    if not files or "reference_files" in form.errors:
        return form
    kept = [uploads.save_reference(request.team, request.user, f).pk for f in files]
    data = request.POST.copy()
    data.setlist("reference_uploads", [*data.getlist("reference_uploads"), *map(str, kept)])
    again = form_class(data, **form_kwargs)
    again.is_valid()  # the same errors, shown with the kept files
    return again


@team_view()
def create_image(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    return _create_page(request, ImageForm, "gallery/_fields_image.html", [Kind.IMAGE])


@team_view()
def create_mj(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    blend = request.GET.get("mode") == "blend" or request.POST.get("mode") == "blend"
    form_class = MjBlendForm if blend else MjImagineForm
    return _create_page(
        request, form_class, "gallery/_fields_mj.html", [Kind.MIDJOURNEY], {"blend": blend}
    )


@team_view()
def create_video(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    return _create_page(request, VideoForm, "gallery/_fields_video.html", [Kind.VIDEO])


PICKER_PAGE = 24


@require_safe
@team_view()
def reference_picker(request: HttpRequest) -> HttpResponse:
    """The gallery picker of the create forms, searched by prompt and paged by id (newest
    first); pictures already chosen (sent as reference_items) are left out."""
    items = MediaItem.objects.filter(
        team=request.team, deleted_at__isnull=True, media_kind="image"
    ).exclude(pk__in=parse_ids(request.GET.getlist("reference_items")))
    if q := request.GET.get("q", "").strip()[:200]:
        items = items.filter(prompt__icontains=q)
    if (before := parse_id(request.GET.get("before", ""))) is not None:
        items = items.filter(pk__lt=before)
    page = list(items.order_by("-pk")[: PICKER_PAGE + 1])
    context = {"items": page[:PICKER_PAGE], "more": len(page) > PICKER_PAGE, "q": q}
    return render(request, "gallery/_picker_items.html", context)


@compress_html
@require_safe
@team_view()
def card(request: HttpRequest, generation_id: int) -> HttpResponse:
    generation = _get_generation(request, generation_id)
    status = 286 if generation.is_terminal and request.htmx else 200
    return render(request, "gallery/_card.html", {"g": generation}, status=status)


@compress_html
@require_safe
@team_view()
def cards_poll(request: HttpRequest) -> HttpResponse:
    """One poll per page: the active cards that changed, and a poller for what is still active.

    The page sends each active card as `id:version` (the version the card shows, see
    Generation.version), so a card comes back exactly when it is out of date, however the page
    got it (first render, a new card added later, an earlier poll). The reply swaps changed cards
    out-of-band and replaces the poller itself; when nothing on the page is active any more it
    answers 286 and a poller without a trigger, so polling stops on htmx 2 and htmx 4 alike.
    """
    shown: dict[int, int] = {}
    for part in request.GET.get("ids", "").split(",")[:200]:
        pk, _sep, version = part.partition(":")
        if (number := parse_id(pk)) is not None:
            version_shown = parse_id(version)
            shown[number] = -1 if version_shown is None else version_shown  # unknown: send it
    # Versions first (one small query); full cards only for the few that changed.
    current = card_versions(request.team.pk, list(shown))
    stale = [pk for pk, version, _state in current if version != shown[pk]]
    active = [pk for pk, _version, state in current if state in ACTIVE_STATES]
    changed = list(_generations(request).filter(pk__in=stale)) if stale else []
    context = {"changed": changed, "active_ids": active}
    # Most replies carry no card: just the poller, which needs nothing of the request context
    # (its context processors cost as much as the rest of the view).
    html = render_to_string("gallery/_poll_reply.html", context, request if changed else None)
    response = HttpResponse(html)
    if not active:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _copy(generation: Generation, user) -> Generation:
    """Again / duplicate: the same settings, a new task (the budget is checked again)."""
    [clone] = create_generations(
        generation.team,
        user,
        [
            NewGeneration(
                kind=generation.kind,
                action=generation.action,
                model=generation.model,
                prompt=generation.prompt,
                params=generation.params,
                parent=generation.parent,
                parent_index=generation.parent_index,
                source_items=generation.source_items.all(),
            )
        ],
    )
    return clone


def _refused(request: HttpRequest, error: ValidationError) -> HttpResponse:
    """A create that the budget refused: say so where the person is; nothing was started."""
    text = " ".join(error.messages)
    if request.htmx:
        return htmx_message(request, text)
    messages.error(request, text)
    return redirect_back(request, reverse("gallery:history"))


def htmx_message(request: HttpRequest, text: str, level: str = "error") -> HttpResponse:
    """An htmx answer that only shows TEXT in the page's message area (nothing else swaps)."""
    response = render(request, "gallery/_message_oob.html", {"text": text, "level": level})
    response["HX-Reswap"] = "none"
    return response


def _respond_with_new_card(
    request: HttpRequest, generation: Generation, message: str, *, to_card: bool = False
) -> HttpResponse:
    if request.htmx:
        return render(request, "gallery/_new_card.html", {"g": generation})
    messages.success(request, message)
    response = redirect_back(request, reverse("gallery:history"))
    if to_card:  # back on the page the person came from, at the new card
        response["Location"] = f"{response['Location'].split('#')[0]}#gen-{generation.pk}"
    return response


def _local_path(request: HttpRequest, value: str, fallback: str) -> str:
    """VALUE if it is a path on this site, else FALLBACK (no open redirects)."""
    if value.startswith("/") and url_has_allowed_host_and_scheme(
        value, {request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return fallback


@require_POST
@team_view(Role.MEMBER)
def again(request: HttpRequest, generation_id: int) -> HttpResponse:
    """Retry or duplicate: a new task with the same parameters."""
    generation = _get_generation(request, generation_id)
    try:
        clone = _copy(generation, request.user)
    except spend.BudgetExceeded as error:
        return _refused(request, error)
    return _respond_with_new_card(request, clone, _("Started again with the same settings."))


@require_POST
@team_view(Role.MEMBER)
def cancel(request: HttpRequest, generation_id: int) -> HttpResponse:
    generation = _get_generation(request, generation_id)
    if generation.user_id != request.user.id and not request.membership.can_manage:
        raise Http404
    stopped = worker.cancel(generation)
    generation.refresh_from_db()
    if stopped:
        level, text = (
            "info",
            _(
                "Stopped waiting for this task. If Zcheap had already started on it, it may "
                "still be charged."
            ),
        )
    else:  # always say why nothing happened (a task being sent cannot be dropped)
        level, text = "warning", generation.cannot_stop_reason
    if request.htmx:
        return render(
            request, "gallery/_cancel_reply.html", {"g": generation, "text": text, "level": level}
        )
    messages.add_message(request, getattr(messages, level.upper()), text)
    return redirect_back(request, reverse("gallery:history"))


@team_view(Role.VIEWER)
def mj_action(request: HttpRequest, generation_id: int) -> HttpResponse:
    """U1–U4, V1–V4, reroll, zoom, pan, vary region and remix on a finished MJ result."""
    parent = _get_generation(request, generation_id)
    if request.method != "POST":
        return HttpResponse(status=405)
    require_role(request, Role.MEMBER)
    if not parent.can_take_mj_actions:
        messages.error(request, _("Midjourney actions need a finished Midjourney result."))
        return redirect(reverse("gallery:history"))
    form = MjActionForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        text = _("That action could not be started: %(why)s") % {"why": errors}
        if request.htmx:  # say it here, on this page, and add no card
            return htmx_message(request, text)
        messages.error(request, text)
        if request.POST.get("action") == "inpaint":  # keep the person in the region editor
            index = parse_id(request.POST.get("index", ""))
            if index in parent.mj_indexes:
                return redirect(_editor(request, parent, index))
        return redirect_back(request, reverse("gallery:history"))
    data = form.cleaned_data
    # U and V pick one of four pictures: only offered (and accepted) where four exist.
    if data["index"] not in parent.mj_indexes or (
        parent.mj_single and data["action"] in {"upscale", "variation"}
    ):
        raise Http404
    params = {k: data[k] for k in ("scale", "direction", "mode", "remix_prompt") if data.get(k)}
    try:
        with transaction.atomic():
            if data["action"] == "inpaint":
                try:
                    params["mask_upload"] = uploads.save_mask(
                        request.team,
                        request.user,
                        data["mask"],
                        _edited_size(parent, data["index"]),
                    ).pk
                except ValidationError as error:
                    messages.error(request, " ".join(error.messages))
                    return redirect(_editor(request, parent, data["index"]))
            [child] = create_generations(
                request.team,
                request.user,
                [
                    NewGeneration(
                        kind=Kind.MIDJOURNEY,
                        action=data["action"],
                        model="midjourney",
                        # The prompt the user asked for (remix, vary region) is the card's, the
                        # history's and the gallery's prompt; the others act on the parent's.
                        prompt=(params.get("remix_prompt") or "").strip() or parent.prompt,
                        params=params,
                        parent=parent,
                        parent_index=data["index"],
                        source_items=parent.items.filter(index=data["index"] - 1),
                    )
                ],
            )
    except spend.BudgetExceeded as error:
        return _refused(request, error)
    return _respond_with_new_card(
        request,
        child,
        _("Started: %(action)s.") % {"action": child.action_label},
        to_card=child.action == "inpaint",
    )


def _editor(request: HttpRequest, parent: Generation, index: int) -> str:
    """The region editor again (after a refusal), still knowing where the person came from."""
    url = reverse("gallery:mj_inpaint", args=[parent.pk, index])
    back = _local_path(request, request.POST.get("next", ""), "")
    return f"{url}?{urlencode({'next': back})}" if back else url


def _edited_size(parent: Generation, index: int) -> tuple[int, int] | None:
    """The size of the picture a vary-region mask is painted on (what the editor shows)."""
    item = parent.items.filter(index=index - 1).first() or parent.items.first()
    return (item.width, item.height) if item and item.width and item.height else None


@require_safe
@team_view()
def mj_inpaint(request: HttpRequest, generation_id: int, index: int) -> HttpResponse:
    """The mask editor: paint over the part of the image to change."""
    parent = _get_generation(request, generation_id)
    if not parent.can_take_mj_actions or index not in parent.mj_indexes:
        raise Http404
    item = parent.items.filter(index=index - 1).first() or parent.items.first()
    back = _local_path(request, request.GET.get("next", ""), reverse("gallery:create_mj"))
    return render(
        request,
        "gallery/mj_inpaint.html",
        {"g": parent, "index": index, "item": item, "back": back},
    )


def history_page(generations, before: str) -> tuple[list[Generation], str]:
    """One page of history older than the BEFORE cursor, and the cursor of the next page ("").

    Keyset paging on (created_at, pk), the order and index of the list: the cost of a page is
    the same on the first page and the thousandth, and no page counts the whole history.
    """
    created, _sep, pk = before.partition("_")
    if (micros := parse_id(created)) is not None and (last_pk := parse_id(pk)) is not None:
        try:
            at = EPOCH + timedelta(microseconds=micros)
        except OverflowError:
            at = None
        if at is not None:
            generations = generations.filter(created_at__lte=at).exclude(
                created_at=at, pk__gte=last_pk
            )
    rows = list(generations[: HISTORY_PAGE + 1])
    if len(rows) <= HISTORY_PAGE:
        return rows, ""
    last = rows[HISTORY_PAGE - 1]
    return rows[
        :HISTORY_PAGE
    ], f"{(last.created_at - EPOCH) // timedelta(microseconds=1)}_{last.pk}"


@compress_html
@require_safe
@team_view()
def history(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "mine")
    generations = _generations(request)
    member = request.GET.get("member", "")
    member_id = parse_id(member)
    if member_id is not None:
        scope = "team"  # choosing a person means looking beyond my own tasks
        generations = generations.filter(user_id=member_id)
    elif scope == "mine":
        generations = generations.filter(user=request.user)
    kind = request.GET.get("kind", "")
    if kind in Kind.values:
        generations = generations.filter(kind=kind)
    state = request.GET.get("state", "")
    if state == "active":
        generations = generations.filter(state__in=ACTIVE_STATES)
    elif state in State.values:
        generations = generations.filter(state=state)
    shown, older = history_page(generations, request.GET.get("before", ""))
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "generations": shown,
        "older": older,
        "is_first_page": not request.GET.get("before"),
        "scope": scope,
        "kind": kind,
        "state": state,
        "member": member,
        "members": team_members(request.team),
        "kinds": Kind.choices,
        "states": State.choices,
        "query": query.urlencode(),
        "filtered": bool(member_id is not None or kind or state),
        "now": timezone.now(),
    }
    template = "gallery/history.html#history-list" if request.htmx else "gallery/history.html"
    return render(request, template, context)
