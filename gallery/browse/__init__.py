"""Browsing what was made: the gallery with its filters, boards, lightbox and ZIP downloads, and
the team-only media view.

Code outside this wing uses only the names below (tests may reach inside).
"""

from __future__ import annotations

from .filters import gallery_queryset
from .item_tags import warm_words as warm_item_page_words
from .listings import members as team_members
from .media_views import serve_item_variant

__all__ = ["gallery_queryset", "serve_item_variant", "team_members", "warm_item_page_words"]
