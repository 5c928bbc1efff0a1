"""The member and board lists that the filter forms show, cached per team listing version.

Both lists are on every gallery and history page but change rarely. The cache key carries the
team's `listing_version` (bumped by signals when a membership, a user's name or a board changes)
and the team's creation time (so a new team that reuses a deleted team's id never sees its
lists). The team row is loaded on every request already, so a change is visible on the next
request in every process: the lists live in each process's own memory (the `listings` cache
alias), where a hit costs no query, unlike the shared `default` cache (a table in production).
Entries of an old version are never read again and age out (TTL, MAX_ENTRIES).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import caches

from gallery.models import Board

TTL_SECONDS = 600


def _cache():
    return caches["listings"]


@dataclass(frozen=True)
class MemberChoice:
    user_id: int
    label: str


@dataclass(frozen=True)
class BoardChoice:
    pk: int
    name: str
    is_smart: bool
    shared: bool = False


def _key(team, *parts) -> str:
    return ":".join(
        str(p)
        for p in ("listings", team.pk, team.created_at.timestamp(), team.listing_version, *parts)
    )


def members(team) -> list[MemberChoice]:
    key = _key(team, "members")
    found = _cache().get(key)
    if found is None:
        found = sorted(
            (
                MemberChoice(m.user_id, m.user.label)
                for m in team.memberships.select_related("user")
            ),
            key=lambda m: m.label.casefold(),
        )
        _cache().set(key, found, TTL_SECONDS)
    return found


def boards(team, user) -> list[BoardChoice]:
    """Boards USER may see in TEAM: shared ones and their own."""
    key = _key(team, "boards", user.pk)
    found = _cache().get(key)
    if found is None:
        visible = Board.objects.visible_to(team, user).only("name", "query", "shared")
        found = [BoardChoice(b.pk, b.name, b.is_smart, b.shared) for b in visible]
        _cache().set(key, found, TTL_SECONDS)
    return found
