"""Asset library operations: every call goes through the Zcheap client, and every upstream error
becomes a ZcheapError whose user_message the views show. Steps here are what tests call."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team
from gallery.generation import client_for_team, public_url
from gallery.models import MediaItem, ReferenceUpload
from zcheap import errors as e

from .models import Asset, AssetGroup, AssetStatus, QuotaReservation

PAGE = 100


class QuotaBlocked(Exception):
    """The upload would exceed the asset quota; nothing was created."""


def quota(team):
    with client_for_team(team, max_retries=1) as client:
        return client.asset_quota()


def create_group(team, name: str, description: str = "") -> AssetGroup:
    with client_for_team(team, max_retries=0) as client:
        remote = client.asset_group_create(name, description=description)
    return AssetGroup.objects.create(
        team=team,
        remote_id=remote.id,
        name=remote.name or name,
        description=remote.description or description,
        group_type=remote.group_type or "AIGC",
        project_name=remote.project_name or "default",
        remote_created=remote.create_time,
        remote_updated=remote.update_time,
        synced_at=timezone.now(),
    )


def update_group(group: AssetGroup, name: str, description: str) -> None:
    with client_for_team(group.team, max_retries=1) as client:
        client.asset_group_update(group.remote_id, name=name, description=description)
    AssetGroup.objects.filter(pk=group.pk).update(name=name, description=description)


RESERVATION_TTL = timedelta(minutes=15)  # far longer than an upload request can take


def ensure_room(team, needed: int, client=None, held: int = 0) -> None:
    """Raise QuotaBlocked unless NEEDED more assets fit in the team's quota, HELD slots of which
    are promised to other uploads in progress."""
    if client is None:
        with client_for_team(team, max_retries=1) as own:
            return ensure_room(team, needed, own, held)
    current = client.asset_quota()
    if not current.enabled:
        raise QuotaBlocked(_("The asset library is not enabled for this Zcheap account."))
    left = max(0, current.remaining - held)
    if left < needed:
        raise QuotaBlocked(
            _(
                "Only %(left)d more assets fit in your quota (%(used)d of %(limit)d used); you chose %(n)d."
            )
            % {
                "left": left,
                "used": current.current_count,
                "limit": current.max_count_per_user,
                "n": needed,
            }
        )
    return None


def reserve(team, needed: int, client) -> QuotaReservation:
    """Check the quota and hold NEEDED slots, atomically: the team row is locked while the free
    slots (Zcheap's count minus what other uploads hold) are checked and the hold is written."""
    with transaction.atomic():
        Team.objects.select_for_update().filter(pk=team.pk).first()
        now = timezone.now()
        QuotaReservation.objects.filter(team=team, created_at__lt=now - RESERVATION_TTL).delete()
        held = QuotaReservation.objects.filter(team=team).aggregate(n=Sum("slots"))["n"] or 0
        ensure_room(team, needed, client, held)
        return QuotaReservation.objects.create(team=team, slots=needed, created_at=now)


def add_assets(
    team, group: AssetGroup, user, sources: list, names: list[str], client, reservation
) -> list[Asset]:
    """Register uploads or gallery items as assets under RESERVATION: all of them or none. If
    one fails upstream, the ones already created there are deleted again and the error raised;
    local rows are written only once every upstream call has succeeded."""
    made: list[tuple[object, str, str, str]] = []
    try:
        for source, name in zip(sources, names, strict=True):
            asset_type = _asset_type(source)
            remote_id = client.asset_create(
                group.remote_id,
                public_url(source, ttl=24 * 3600),
                name=name,
                asset_type=asset_type,
            )
            made.append((source, name, asset_type, remote_id))
            # Zcheap counts this one now: the hold shrinks so it is not counted twice.
            QuotaReservation.objects.filter(pk=reservation.pk, slots__gt=0).update(
                slots=F("slots") - 1
            )
        with transaction.atomic():
            return [
                Asset.objects.create(
                    team=team,
                    group=group,
                    remote_id=remote_id,
                    name=name,
                    asset_type=asset_type,
                    upload=source if isinstance(source, ReferenceUpload) else None,
                    item=source if isinstance(source, MediaItem) else None,
                    created_by=user,
                )
                for source, name, asset_type, remote_id in made
            ]
    except BaseException:
        for _source, _name, _type, remote_id in made:
            with contextlib.suppress(e.ZcheapError):
                client.asset_delete(remote_id)
        raise


def upload_to_group(team, group: AssetGroup, user, form, items: list) -> list[Asset]:
    """The upload request: hold quota for every file and item first, then store the files, then
    create the assets; on any failure nothing stays behind (no assets, no stored files, no
    upstream assets, no hold)."""
    needed = form.file_count + len(items)
    with client_for_team(team, max_retries=1) as client:
        reservation = reserve(team, needed, client)
        stored: list[ReferenceUpload] = []
        try:
            stored = form.save_uploads(team, user)
            names = [s.original_name or f"asset-{s.pk}" for s in stored]
            names += [(i.prompt[:60] or f"gallery-{i.pk}") for i in items]
            return add_assets(team, group, user, stored + items, names, client, reservation)
        except BaseException:
            _discard(stored)
            raise
        finally:
            QuotaReservation.objects.filter(pk=reservation.pk).delete()


def _discard(uploads: list[ReferenceUpload]) -> None:
    for upload in uploads:
        if upload.file:
            upload.file.storage.delete(upload.file.name)
        upload.delete()


def _asset_type(source) -> str:
    kind = getattr(source, "media_kind", "image")
    return {"video": "Video", "audio": "Audio"}.get(kind, "Image")


def refresh(team, assets: Iterable[Asset]) -> int:
    """Ask Zcheap for the status of ASSETS (Processing ones); returns how many are still processing."""
    still = 0
    with client_for_team(team, max_retries=1) as client:
        for asset in assets:
            try:
                remote = client.asset_get(asset.remote_id)
            except e.NotFoundError:
                Asset.objects.filter(pk=asset.pk).update(gone_at=timezone.now())
                continue
            _apply(asset, remote)
            still += remote.status == AssetStatus.PROCESSING
    return still


def _apply(asset: Asset, remote) -> None:
    Asset.objects.filter(pk=asset.pk).update(
        status=remote.status if remote.status in AssetStatus.values else AssetStatus.PROCESSING,
        error_code=remote.error_code[:80],
        error_message=remote.error_message,
        url=remote.url,
        remote_updated=remote.update_time,
        gone_at=None,
        updated_at=timezone.now(),
    )


def rename_asset(asset: Asset, name: str) -> None:
    with client_for_team(asset.team, max_retries=1) as client:
        client.asset_update(asset.remote_id, name)
    Asset.objects.filter(pk=asset.pk).update(name=name)


def delete_asset(asset: Asset) -> None:
    # Already gone upstream? Then forget it here too.
    with client_for_team(asset.team, max_retries=1) as client, contextlib.suppress(e.NotFoundError):
        client.asset_delete(asset.remote_id)
    asset.delete()


def _all_pages(fetch) -> list:
    """Page through a list route. TotalCount is only this page's count (quirk): stop at a short page."""
    items, page = [], 1
    while True:
        result = fetch(page)
        items.extend(result.items)
        if len(result.items) < PAGE or page >= 200:
            return items
        page += 1


def sync_team(team) -> dict:
    """Reconcile the mirror with Zcheap: new upstream groups/assets appear, missing ones are
    marked gone, nothing local is deleted."""
    now = timezone.now()
    report = {"groups_new": 0, "assets_new": 0, "groups_gone": 0, "assets_gone": 0}
    with client_for_team(team, max_retries=2) as client:
        groups = _all_pages(lambda p: client.asset_group_list(page_number=p, page_size=PAGE))
        seen_groups = set()
        for remote in groups:
            seen_groups.add(remote.id)
            group, created = AssetGroup.objects.update_or_create(
                team=team,
                remote_id=remote.id,
                defaults={
                    "name": remote.name[:64],
                    "description": remote.description[:300],
                    "group_type": remote.group_type or "AIGC",
                    "project_name": remote.project_name or "default",
                    "remote_created": remote.create_time,
                    "remote_updated": remote.update_time,
                    "synced_at": now,
                    "gone_at": None,
                },
            )
            report["groups_new"] += created
            assets = _all_pages(
                lambda p, g=remote.id: client.asset_list(
                    group_ids=[g], page_number=p, page_size=PAGE
                )
            )
            seen_assets = set()
            for item in assets:
                seen_assets.add(item.id)
                with transaction.atomic():
                    _asset, created = Asset.objects.update_or_create(
                        team=team,
                        remote_id=item.id,
                        defaults={
                            "group": group,
                            "name": item.name[:200],
                            "url": item.url,
                            "asset_type": item.asset_type or "Image",
                            "status": item.status
                            if item.status in AssetStatus.values
                            else AssetStatus.PROCESSING,
                            "error_code": item.error_code[:80],
                            "error_message": item.error_message,
                            "remote_created": item.create_time,
                            "remote_updated": item.update_time,
                            "gone_at": None,
                        },
                    )
                report["assets_new"] += created
            report["assets_gone"] += (
                Asset.objects.filter(group=group, gone_at__isnull=True)
                .exclude(remote_id__in=seen_assets)
                .update(gone_at=now)
            )
    report["groups_gone"] = (
        AssetGroup.objects.filter(team=team, gone_at__isnull=True)
        .exclude(remote_id__in=seen_groups)
        .update(gone_at=now)
    )
    return report
