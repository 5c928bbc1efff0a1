"""Presets (list, save, edit, pin, use) and batches (check, create, card, cancel, retry)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

import spend
from accounts.models import Role
from accounts.permissions import require_role, team_view
from gallery.generation import cancel_generation, copy_generation
from gallery.models import ACTIVE_STATES, Generation, MediaItem
from zcheap_site.params import parse_id

from . import batches, kinds
from .apply import PLACEHOLDER_PREFIX
from .forms import PresetForm
from .models import FAILED_STATES, Batch, BatchTask, Preset

BATCH_TASKS_SHOWN = 500


def _kind(value: str) -> str:
    return value if value in kinds.FORMS else "image"


def _visible(request: HttpRequest):
    return Preset.objects.visible_to(request.team, request.user)


def _editable(request: HttpRequest, preset_id: int) -> Preset:
    preset = get_object_or_404(_visible(request), pk=preset_id)
    if not preset.may_edit(request.membership):
        raise Http404
    return preset


@require_safe
@team_view()
def preset_list(request: HttpRequest) -> HttpResponse:
    presets = list(_visible(request).select_related("owner"))
    return render(
        request,
        "presets/list.html",
        {"presets": presets, "kind_labels": kinds.KIND_LABELS, "create_urls": kinds.CREATE_URLS},
    )


def _preset_form_page(request, form, kind, preset=None, status=200):
    context = {
        "form": form,
        "kind": kind,
        "kind_label": kinds.KIND_LABELS[kind],
        "preset": preset,
        "kinds": kinds.KIND_LABELS,
    }
    return render(request, "presets/edit.html", context, status=status)


@team_view(Role.VIEWER)
def preset_new(request: HttpRequest) -> HttpResponse:
    """New preset: blank (?kind=), from a task's settings (?from=<task>, the gallery's Reuse
    settings), or from the create form as filled in (a POST with from_form=1)."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    require_role(request, Role.MEMBER)
    source = request.POST if request.method == "POST" else request.GET
    kind = _kind(source.get("kind", ""))
    form_kwargs = {
        "kind": kind,
        "team": request.team,
        "user": request.user,
        "membership": request.membership,
    }
    if request.method == "POST" and not source.get("from_form"):
        form = PresetForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                with transaction.atomic():
                    preset = form.save()
            except IntegrityError:  # the same name saved a moment ago by another request
                form.add_error("name", _("A preset with this name was just saved. Pick another."))
            else:
                messages.success(request, _("Preset “%(name)s” saved.") % {"name": preset.name})
                return redirect(reverse("presets:list"))
        return _preset_form_page(request, form, kind, status=400)
    initial: dict = {}
    if request.method == "POST":  # Save as preset on a create form
        initial = PresetForm.initial_from_create_form(kind, request.POST)
    elif (task_id := parse_id(request.GET.get("from", ""))) is not None:
        task = get_object_or_404(Generation, team=request.team, pk=task_id)
        task = task.origin
        kind = _kind(task.kind)
        form_kwargs["kind"] = kind
        params = task.params or {}
        values = {**params, **(params.get("flags") or {})}
        initial = {f"s_{k}": v for k, v in values.items() if k in kinds.setting_fields(kind)}
        if task.model and "model" in kinds.setting_fields(kind):
            initial["s_model"] = task.model
        initial["prompt_template"] = params.get("base_prompt", task.prompt)
    form = PresetForm(initial=initial, **form_kwargs)
    if request.htmx and request.method == "POST":
        return render(request, "presets/edit.html#preset-form", {"form": form, "kind": kind})
    return _preset_form_page(request, form, kind)


@team_view(Role.MEMBER)
def preset_edit(request: HttpRequest, preset_id: int) -> HttpResponse:
    """Editing changes only what the preset fills in next time, never a task already made."""
    preset = _editable(request, preset_id)
    form_kwargs = {
        "kind": preset.kind,
        "team": request.team,
        "user": request.user,
        "membership": request.membership,
        "instance": preset,
    }
    if request.method == "POST":
        form = PresetForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                with transaction.atomic():
                    form.save()
            except IntegrityError:
                form.add_error("name", _("A preset with this name was just saved. Pick another."))
            else:
                messages.success(request, _("Preset “%(name)s” saved.") % {"name": preset.name})
                return redirect(reverse("presets:list"))
        return _preset_form_page(request, form, preset.kind, preset, status=400)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    form = PresetForm(initial=PresetForm.initial_from(preset), **form_kwargs)
    return _preset_form_page(request, form, preset.kind, preset)


@require_POST
@team_view(Role.MEMBER)
def preset_delete(request: HttpRequest, preset_id: int) -> HttpResponse:
    preset = _editable(request, preset_id)
    preset.delete()
    messages.success(
        request,
        _("Preset “%(name)s” deleted. Tasks made with it keep their settings.")
        % {"name": preset.name},
    )
    return redirect(reverse("presets:list"))


@require_POST
@team_view(Role.ADMIN)
def preset_pin(request: HttpRequest, preset_id: int) -> HttpResponse:
    """Admins pin (or unpin) a shared preset: pinned ones come first for everyone."""
    preset = get_object_or_404(Preset, team=request.team, shared=True, pk=preset_id)
    Preset.objects.filter(pk=preset.pk).update(pinned=not preset.pinned)
    text = _("Unpinned “%(name)s”.") if preset.pinned else _("Pinned “%(name)s” for the team.")
    messages.success(request, text % {"name": preset.name})
    return redirect(reverse("presets:list"))


@require_safe
@team_view()
def preset_use(request: HttpRequest, preset_id: int) -> HttpResponse:
    """Ask for the preset's placeholders; the answer goes to the create form (GET), which fills
    itself from ?preset=<id>&ph_<name>=… (htmx swaps just the form; without JS, a page)."""
    preset = get_object_or_404(_visible(request), pk=preset_id)
    context = {
        "preset": preset,
        "create_url": reverse(kinds.CREATE_URLS[preset.kind]),
        "prefix": PLACEHOLDER_PREFIX,
        "values": {
            name: request.GET.get(PLACEHOLDER_PREFIX + name, "") for name in preset.placeholders
        },
    }
    template = "presets/use.html#preset-ask" if request.htmx else "presets/use.html"
    return render(request, template, context)


@require_safe
@team_view()
def preset_pick(request: HttpRequest) -> HttpResponse:
    """The picker's choice (a GET form): go on to the placeholders of the chosen preset."""
    preset_id = parse_id(request.GET.get("preset", ""))
    if preset_id is None:
        if request.htmx:
            return HttpResponse("")
        return redirect(reverse(kinds.CREATE_URLS[_kind(request.GET.get("kind", ""))]))
    preset = get_object_or_404(_visible(request), pk=preset_id)
    return preset_use(request, preset.pk)


# --- Batches ---------------------------------------------------------------------------------


def _plan(request: HttpRequest) -> batches.Plan:
    kind = _kind(request.POST.get("kind", ""))
    return batches.plan_batch(kind, request.POST, request.FILES, request.team, request.user)


@require_POST
@team_view(Role.MEMBER)
def batch_check(request: HttpRequest) -> HttpResponse:
    """Before submit: how many tasks the batch makes, or every problem by row and column."""
    plan = _plan(request)
    template = "presets/_batch_preview.html" if request.htmx else "presets/batch_plan.html"
    context = {"plan": plan}
    if plan.ok:  # the estimated total, against the member's and the team's budget
        context.update(spend.batch_estimate(request, plan.kind, plan.rows, plan.variants))
    return render(request, template, context)


@require_POST
@team_view(Role.MEMBER)
def batch_create(request: HttpRequest) -> HttpResponse:
    kind = _kind(request.POST.get("kind", ""))
    try:  # pictures picked on the form: stored once, sent with every row as earlier uploads
        data = batches.save_uploads(request.POST, request.FILES, request.team, request.user)
    except ValidationError as error:
        plan = batches.Plan(kind=kind)
        plan.add(0, _("Upload reference images"), " ".join(error.messages))
    else:
        plan = batches.plan_batch(kind, data, request.FILES, request.team, request.user)
    batch = None
    if plan.ok:
        try:  # all or nothing: a batch that does not fit the budget creates no task
            batch = batches.create_batch(plan, request, request.POST.get("batch_name", ""))
        except ValidationError as error:  # spend.BudgetExceeded says who can raise the budget
            plan.add(0, _("Budget"), " ".join(error.messages))
    if batch is None:
        if request.htmx:
            response = render(request, "presets/_batch_preview.html", {"plan": plan})
            response["HX-Retarget"] = "#batch-preview"
            response["HX-Reswap"] = "innerHTML"
            return response
        return render(request, "presets/batch_plan.html", {"plan": plan}, status=400)
    messages.success(
        request,
        ngettext(
            "Batch “%(name)s” started: %(n)d task.",
            "Batch “%(name)s” started: %(n)d tasks.",
            plan.task_count,
        )
        % {"name": batch.name, "n": plan.task_count},
    )
    url = reverse("presets:batch", args=[batch.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _batch(request: HttpRequest, batch_id: int) -> Batch:
    return get_object_or_404(
        Batch.objects.filter(team=request.team).select_related("user", "board"), pk=batch_id
    )


def _may_act(request: HttpRequest, batch: Batch) -> None:
    require_role(request, Role.MEMBER)
    if batch.user_id != request.user.id and not request.membership.can_manage:
        raise Http404


@require_safe
@team_view()
def batch_list(request: HttpRequest) -> HttpResponse:
    shown = list(Batch.objects.filter(team=request.team).select_related("user", "board")[:50])
    for batch in shown:
        if not batch.is_finished:
            batch.check_finished()
        batch.counts = batch.progress()
    return render(request, "presets/batches.html", {"batches": shown})


@require_safe
@team_view()
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The batch card: progress, its tasks (results to compare), cancel the rest, retry failures.
    While tasks run, the card polls itself (htmx), and stops when the batch is finished."""
    batch = _batch(request, batch_id)
    if not batch.is_finished:
        batch.check_finished()
    counts = batch.progress()
    links = (
        BatchTask.objects.filter(batch=batch)
        .select_related("generation")
        .prefetch_related(
            Prefetch(
                "generation__items",
                queryset=MediaItem.objects.filter(deleted_at__isnull=True).order_by("index"),
            )
        )
        .order_by("row", "pk")[:BATCH_TASKS_SHOWN]
    )
    context = {
        "batch": batch,
        "counts": counts,
        "links": links,
        "may_act": request.membership.can_manage or batch.user_id == request.user.id,
        "can_generate": request.membership.can_generate,
    }
    if request.htmx and request.GET.get("poll"):
        response = render(request, "presets/batch.html#batch-card", context)
        if batch.is_finished:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "presets/batch.html", context)


@require_POST
@team_view(Role.MEMBER)
def batch_cancel(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Stop the tasks not yet done (those being sent cannot be stopped; they are counted)."""
    batch = _batch(request, batch_id)
    _may_act(request, batch)
    stopped = kept = 0
    for generation in batch.tasks().filter(state__in=list(ACTIVE_STATES)):
        if cancel_generation(generation):
            stopped += 1
        else:
            kept += 1
    batch.check_finished()
    text = ngettext(
        "Stopped %(n)d task of the batch.", "Stopped %(n)d tasks of the batch.", stopped
    ) % {"n": stopped}
    if kept:
        text += " " + _(
            "%(n)d were being sent or saved and could not be stopped; they finish by themselves."
        ) % {"n": kept}
    messages.success(request, text)
    return redirect(reverse("presets:batch", args=[batch.pk]))


@require_POST
@team_view(Role.MEMBER)
def batch_retry(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Start every failed task of the batch again (new tasks, in the batch, same settings)."""
    batch = _batch(request, batch_id)
    _may_act(request, batch)
    failed = list(
        BatchTask.objects.filter(
            batch=batch, generation__state__in=list(FAILED_STATES)
        ).select_related("generation")
    )
    with transaction.atomic():
        for link in failed:
            clone = copy_generation(link.generation, request.user)
            BatchTask.objects.create(batch=batch, generation=clone, row=link.row)
            # The failed task leaves the batch: its retry takes its place.
            link.delete()
        if failed:
            Batch.objects.filter(pk=batch.pk).update(finished_at=None)
    if failed:
        text = ngettext(
            "Started %(n)d failed task again.", "Started %(n)d failed tasks again.", len(failed)
        )
        messages.success(request, text % {"n": len(failed)})
    else:
        messages.info(request, _("No failed tasks to retry."))
    return redirect(reverse("presets:batch", args=[batch.pk]))


def compare_url(item_ids) -> str:
    return reverse("gallery:compare") + "?" + urlencode([("item", i) for i in item_ids])
