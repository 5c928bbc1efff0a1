"""Gallery tiles, rendered as plain strings (fields: filters.TILE_FIELDS).

The grid is the hottest template in the app (60 tiles a page, every scroll). The template engine
costs ~0.4 ms a tile here and format_html ~0.1 ms (it escapes every argument through lazy-aware
wrappers); plain string building with one ``html.escape`` of the only free text (the prompt)
costs a few microseconds. What goes in unescaped is safe by construction: integers, and the two
URL prefixes, which are escaped once per page. Strings are translated once per page.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

SIZES = "(max-width: 600px) 50vw, (max-width: 1100px) 25vw, 220px"


def render_tiles(items, detail_base: str, media_base: str) -> SafeString:
    detail, media = escape(detail_base), escape(media_base)
    select, result = escape(_("Select")), escape(_("Result"))
    video = f'<span class="play-badge" aria-label="{escape(_("Video"))}">▶</span>'
    fav = f'<span class="fav-badge" aria-label="{escape(_("Favourite"))}">★</span>'
    parts = []
    for item in items:
        pk = int(item.pk)
        v = escape(item.media_version)
        prompt = item.prompt
        alt = escape(prompt if len(prompt) <= 80 else prompt[:79] + "…") if prompt else result
        size = (
            f' width="{int(item.width)}" height="{int(item.height)}"'
            if item.width and item.height
            else ""
        )
        parts.append(
            f'<li class="tile-item" data-item="{pk}">'
            f'<label class="tile-check"><input type="checkbox" name="item" value="{pk}" '
            f'form="bulk-form"><span class="visually-hidden">{select}: {alt}</span></label>'
            f'<a href="{detail}{pk}/" data-lightbox>'
            f'<img src="{media}{pk}/small/?v={v}" srcset="{media}{pk}/small/?v={v} 320w, '
            f'{media}{pk}/large/?v={v} 640w" sizes="{SIZES}" loading="lazy" decoding="async" '
            f'alt="{alt}"{size}>'
            f"{video if item.media_kind == 'video' else ''}"
            f"{fav if getattr(item, 'is_favourite', False) else ''}</a></li>"
        )
    return mark_safe("\n".join(parts))  # noqa: S308 - every free value above is escaped
