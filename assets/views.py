"""The asset library pages: groups, assets, uploads with live review status, quota, sync."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseStopPolling

import audit
from accounts.models import Role
from accounts.permissions import team_view
from gallery.models import MediaItem
from zcheap.errors import ZcheapError
from zcheap_site.params import parse_ids

from . import sync
from .forms import GroupForm, RenameForm, UploadForm
from .models import Asset, AssetGroup, AssetStatus
from .tasks import start_polling


def _error(request: HttpRequest, error: ZcheapError) -> None:
    text = str(error.user_message)
    if error.upstream_message:
        text += " " + _("(Zcheap said: %(text)s)") % {"text": error.upstream_message[:300]}
    messages.error(request, text)


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _quota(request: HttpRequest):
    try:
        return sync.quota(request.team), None
    except ZcheapError as error:
        return None, error


@require_safe
@team_view()
def index(request: HttpRequest) -> HttpResponse:
    groups = AssetGroup.objects.filter(team=request.team).annotate(
        total=Count("assets", filter=Q(assets__gone_at__isnull=True)),
        active=Count(
            "assets", filter=Q(assets__status=AssetStatus.ACTIVE, assets__gone_at__isnull=True)
        ),
    )
    quota, quota_error = _quota(request)
    return render(
        request,
        "assets/index.html",
        {"groups": groups, "quota": quota, "quota_error": quota_error, "form": GroupForm()},
    )


@require_POST
@team_view(Role.MEMBER)
def create_group(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("assets:index")
    try:
        group = sync.create_group(
            request.team, form.cleaned_data["name"], form.cleaned_data["description"]
        )
    except ZcheapError as error:
        _error(request, error)
        return redirect("assets:index")
    messages.success(request, _("Group %(name)s created.") % {"name": group.name})
    return redirect("assets:group", group.pk)


def _group(request: HttpRequest, group_id: int) -> AssetGroup:
    return get_object_or_404(AssetGroup, pk=group_id, team=request.team)


def _assets(request: HttpRequest, group: AssetGroup):
    assets = group.assets.select_related("upload", "item")
    status, kind, q = (
        request.GET.get("status", ""),
        request.GET.get("type", ""),
        request.GET.get("q", "").strip(),
    )
    if status in AssetStatus.values:
        assets = assets.filter(status=status)
    if kind in {"Image", "Video", "Audio"}:
        assets = assets.filter(asset_type=kind)
    if q:
        assets = assets.filter(name__icontains=q[:100])
    return assets


@require_safe
@team_view()
def group(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    page = Paginator(_assets(request, group), 48).get_page(request.GET.get("page"))
    items = MediaItem.objects.filter(
        team=request.team, deleted_at__isnull=True, media_kind="image"
    )[:24]
    quota, quota_error = _quota(request)
    return render(
        request,
        "assets/group.html",
        {
            "group": group,
            "page": page,
            "status": request.GET.get("status", ""),
            "type": request.GET.get("type", ""),
            "q": request.GET.get("q", ""),
            "statuses": AssetStatus.choices,
            "upload_form": UploadForm(),
            "group_form": GroupForm(initial={"name": group.name, "description": group.description}),
            "gallery_items": items,
            "quota": quota,
            "quota_error": quota_error,
            "any_processing": group.assets.filter(
                status=AssetStatus.PROCESSING, gone_at__isnull=True
            ).exists(),
        },
    )


@require_POST
@team_view(Role.MEMBER)
def update_group(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    form = GroupForm(request.POST)
    if form.is_valid():
        try:
            sync.update_group(group, form.cleaned_data["name"], form.cleaned_data["description"])
            messages.success(request, _("Group saved."))
        except ZcheapError as error:
            _error(request, error)
    else:
        messages.error(request, _form_errors(form))
    return redirect("assets:group", group.pk)


def _to_group(request: HttpRequest, group: AssetGroup) -> HttpResponse:
    """Back to the group page. The progress-bar upload (XMLHttpRequest) gets the URL to open
    instead of a redirect it would follow itself, which would swallow the flash message."""
    url = reverse("assets:group", args=[group.pk])
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return HttpResponse(status=204, headers={"X-Location": url})
    return redirect(url)


@require_POST
@team_view(Role.MEMBER)
def upload(request: HttpRequest, group_id: int) -> HttpResponse:
    """Files from disk and/or gallery items become assets; all or nothing against the quota."""
    group = _group(request, group_id)
    form = UploadForm(request.POST, request.FILES)
    item_ids = parse_ids(request.POST.getlist("item"))
    items = list(
        MediaItem.objects.filter(team=request.team, pk__in=item_ids, deleted_at__isnull=True)
    )
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _to_group(request, group)
    if not form.file_count and not items:
        messages.error(request, _("Choose files to upload or gallery images to add."))
        return _to_group(request, group)
    try:
        created = sync.upload_to_group(request.team, group, request.user, form, items)
    except sync.QuotaBlocked as blocked:
        messages.error(request, str(blocked))
        return _to_group(request, group)
    except ZcheapError as error:
        _error(request, error)
        return _to_group(request, group)
    start_polling(request.team)
    messages.success(
        request,
        ngettext(
            "%(n)d asset sent for review. It turns Active here when Zcheap approves it.",
            "%(n)d assets sent for review. They turn Active here when Zcheap approves them.",
            len(created),
        )
        % {"n": len(created)},
    )
    return _to_group(request, group)


@require_safe
@team_view()
def rows(request: HttpRequest, group_id: int) -> HttpResponse:
    """The assets table body, for live status updates; 286 once nothing is under review."""
    group = _group(request, group_id)
    page = Paginator(_assets(request, group), 48).get_page(request.GET.get("page"))
    processing = group.assets.filter(status=AssetStatus.PROCESSING, gone_at__isnull=True).exists()
    response = render(
        request, "assets/_rows.html", {"group": group, "page": page, "any_processing": processing}
    )
    if not processing:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _asset(request: HttpRequest, asset_id: int) -> Asset:
    return get_object_or_404(
        Asset.objects.select_related("group", "team"), pk=asset_id, team=request.team
    )


@require_POST
@team_view(Role.MEMBER)
def rename_asset(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = _asset(request, asset_id)
    form = RenameForm(request.POST)
    if form.is_valid():
        try:
            sync.rename_asset(asset, form.cleaned_data["name"])
            messages.success(request, _("Renamed."))
        except ZcheapError as error:
            _error(request, error)
    else:
        messages.error(request, _("Give the asset a name."))
    return redirect("assets:group", asset.group_id)


@require_POST
@team_view(Role.ADMIN)
def delete_asset(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = _asset(request, asset_id)
    try:
        with transaction.atomic():
            sync.delete_asset(asset)
            audit.record(
                request.team,
                request.user,
                "asset.deleted",
                asset.name or asset.remote_id,
                before={"group": asset.group.name, "remote_id": asset.remote_id},
                request=request,
            )
        messages.success(request, _("Asset deleted from Zcheap."))
    except ZcheapError as error:
        _error(request, error)
    return redirect("assets:group", asset.group_id)


@require_POST
@team_view(Role.MEMBER)
def sync_now(request: HttpRequest) -> HttpResponse:
    try:
        report = sync.sync_team(request.team)
    except ZcheapError as error:
        _error(request, error)
        return redirect("assets:index")
    messages.success(
        request,
        _("Synced with Zcheap: %(g)d new groups, %(a)d new assets, %(gone)d gone elsewhere.")
        % {
            "g": report["groups_new"],
            "a": report["assets_new"],
            "gone": report["groups_gone"] + report["assets_gone"],
        },
    )
    start_polling(request.team)
    return redirect("assets:index")
