"""`{% load item_page %}`: the item page's facts and create-from-this buttons, as strings.

As template they were ≈ 25 lines with five `{% url %}`s, a dozen comparisons, ten translations
and a loop over the task's settings on every item page (≈ 0.6 ms of its CPU, a fifth of what the
page costs over the bare render of its row). Every value goes through the template engine's own
`render_value_in_context` (escaping, localisation) and filters, so the HTML is the template's:
tests/gallery/test_item_actions_html.py renders the lines they replaced next to these for images,
videos, MJ imagines, blends and actions, items without a task, and both languages.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import render_value_in_context
from django.template.defaultfilters import date, filesizeformat, floatformat, truncatechars
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext

from zcheap_site.fast_url import cached_reverse

register = template.Library()
_CSRF = CsrfTokenNode()
_fixed: dict[tuple, dict[str, str]] = {}


@receiver(setting_changed)
def _forget(setting, **kwargs) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "ROOT_URLCONF"}:
        _fixed.clear()


def _words() -> dict[str, str]:
    key = (get_language(), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    found = _fixed.get(key)
    if found is None:
        found = _fixed[key] = {
            "reuse": escape(gettext("Reuse settings")),
            "preset": escape(gettext("Save as preset")),
            "reference": escape(gettext("Use as reference")),
            "animate": escape(gettext("Animate (first frame)")),
            "blend": escape(gettext("Blend")),
            "image": escape(cached_reverse("gallery:create_image")),
            "video": escape(cached_reverse("gallery:create_video")),
            "mj": escape(cached_reverse("gallery:create_mj")),
            "new_preset": escape(cached_reverse("presets:new")),
            "newer": escape(gettext("Newer")),
            "older": escape(gettext("Older")),
            "favourite": escape(gettext("Favourite")),
            "add_favourite": escape(gettext("Add to favourites")),
            "download": escape(gettext("Download original")),
            "copy": escape(gettext("Copy prompt")),
            "add_to_board": escape(gettext("Add to board")),
            "shared": escape(gettext("shared")),
            "no_boards": escape(gettext("No boards yet")),
            "new_board": escape(gettext("or a new board")),
            "new_board_name": escape(gettext("New board name")),
            "add": escape(gettext("Add")),
            "confirm_delete": escape(
                gettext("Delete this from the gallery? You can undo it right after.")
            ),
            "delete": escape(gettext("Delete")),
            "browse": escape(cached_reverse("gallery:browse")),
            "model": escape(gettext("Model")),
            "by": escape(gettext("By")),
            "made": escape(gettext("Made")),
            "dimensions": escape(gettext("Dimensions")),
            "usage": escape(gettext("Usage")),
            "cost": escape(gettext("Cost (reported by Zcheap)")),
        }
    return found


def warm_words() -> None:
    """Build the active language's words and links now (the web master's warm-up)."""
    _words()


@register.simple_tag(takes_context=True)
def item_actions(context) -> SafeString:
    """Reuse the settings of the context's task `g`, save them as a preset, or start a new task
    from the context's `item` (images only)."""
    w = _words()
    item, g = context.get("item"), context.get("g")
    links = []
    if g:
        reuse = None
        if g.kind == "image":
            reuse = f"{w['image']}?from={escape(g.pk)}"
        elif g.kind == "video":
            reuse = f"{w['video']}?from={escape(g.pk)}"
        elif g.kind == "mj":
            blend = "mode=blend&amp;" if g.origin.action == "blend" else ""
            reuse = f"{w['mj']}?{blend}from={escape(g.origin.pk)}"
        if reuse:
            links.append(f'<a class="btn btn-small" href="{reuse}">{w["reuse"]}</a>')
        if g.kind != "mj" or g.origin.action == "imagine":
            links.append(
                f'<a class="btn btn-small" href="{w["new_preset"]}?from={escape(g.pk)}">'
                f"{w['preset']}</a>"
            )
    if getattr(item, "media_kind", None) == "image":
        pk = escape(item.pk)
        links += [
            f'<a class="btn btn-small" href="{w["image"]}?ref_item={pk}">{w["reference"]}</a>',
            f'<a class="btn btn-small" href="{w["video"]}?ref_item={pk}&amp;as=frame">'
            f"{w['animate']}</a>",
            f'<a class="btn btn-small" href="{w["mj"]}?mode=blend&amp;ref_item={pk}">'
            f"{w['blend']}</a>",
        ]
    return mark_safe(  # noqa: S308 - every value is escaped
        '<div class="detail-actions">\n      ' + "\n      ".join(links) + "\n    </div>"
    )


@register.simple_tag(takes_context=True)
def item_facts(context) -> SafeString:
    """The facts list of the context's `item` and its task `g`: model, author, date, size, the
    task's settings, tokens and cost."""
    w = _words()
    item, g = context.get("item"), context.get("g")

    def show(value) -> str:
        return render_value_in_context(value, context)

    made = date(template_localtime(item.created_at, context.use_tz), "DATETIME_FORMAT")
    size = f"{show(item.width)} × {show(item.height)}"
    if item.duration:
        size += " · " + gettext("%(s)s s") % {"s": show(floatformat(item.duration, "-1"))}
    size += " · " + show(filesizeformat(item.size_bytes))
    rows = [
        f"<dt>{w['model']}</dt><dd>{show(item.model_label or '—')}</dd>",
        f"<dt>{w['by']}</dt><dd>{show(item.user.label or '—')}</dd>",
        f"<dt>{w['made']}</dt><dd>{show(made)}</dd>",
        f"<dt>{w['dimensions']}</dt><dd>{size}</dd>",
    ]
    if g:
        task = "".join(
            f"<dt>{show(label)}</dt><dd>{show(value)}</dd>" for label, value in g.settings_display
        )
        usage = g.usage if isinstance(g.usage, dict) else {}
        tokens = usage.get("total_tokens")
        if tokens:
            tokens = gettext("%(n)s tokens") % {"n": show(tokens)}
            task += f"\n      <dt>{w['usage']}</dt><dd>{tokens}</dd>"
        if g.amount_usd is not None:
            task += f"<dt>{w['cost']}</dt><dd>${show(floatformat(g.amount_usd, 4))}</dd>"
        rows.append(task)
    return mark_safe(  # noqa: S308 - every value is escaped
        '<dl class="facts">\n      ' + "\n      ".join(rows) + "\n    </dl>"
    )


def _url(name: str, *args) -> str:
    return escape(cached_reverse(name, args))


@register.simple_tag(takes_context=True)
def item_fav_button(context) -> SafeString:
    """The favourite toggle of the context's `item` (`is_favourite`: marked by this person)."""
    w = _words()
    item = context.get("item")
    toggle = _url("gallery:toggle_favourite", item.pk)
    request = context.get("request")
    path = escape(request.get_full_path()) if request is not None else ""
    on = bool(context.get("is_favourite"))
    label = f"★ {w['favourite']}" if on else f"☆ {w['add_favourite']}"
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<form method="post" action="{toggle}" hx-post="{toggle}" hx-swap="outerHTML" '
        f'class="fav-form">\n  {_CSRF.render(context)}<input type="hidden" name="next" '
        f'value="{path}">\n  <button class="btn btn-small{" is-on" if on else ""}" '
        f'type="submit" aria-pressed="{"true" if on else "false"}">{label}</button>\n</form>'
    )


@register.simple_tag(takes_context=True)
def item_head(context) -> SafeString:
    """The item page's picture or video with the newer/older links, then its favourite,
    download and copy buttons, title and prompt."""
    w = _words()
    item, g = context.get("item"), context.get("g")
    newer, older = context.get("newer"), context.get("older")

    def show(value) -> str:
        return render_value_in_context(value, context)

    file_url = _url("gallery:media_file", item.pk)
    version = show(item.media_version)
    if item.media_kind == "video":
        poster = ""
        if item.poster:
            poster = f'poster="{_url("gallery:media_variant", item.pk, "poster")}?v={version}"'
        media = (
            f'<video controls playsinline preload="metadata" {poster}>\n        '
            f'<source src="{file_url}" type="{show(item.content_type or "video/mp4")}"></video>'
        )
    else:
        size = ""
        if item.width:
            size = f'width="{show(item.width)}" height="{show(item.height)}"'
        alt = show(truncatechars(item.prompt, 120))
        media = f'<img src="{file_url}?v={version}" alt="{alt}" {size}>'
    links = []
    if newer:
        links.append(
            f'<a class="btn btn-small" href="{_url("gallery:item_detail", newer)}" '
            f'data-nav="newer">← {w["newer"]}</a>'
        )
    if older:
        links.append(
            f'<a class="btn btn-small" href="{_url("gallery:item_detail", older)}" '
            f'data-nav="older">{w["older"]} →</a>'
        )
    copy, prompt = "", ""
    if item.prompt:
        copy = (
            f'<button type="button" class="btn btn-small" data-copy="{show(item.prompt)}">'
            f"{w['copy']}</button>"
        )
        prompt = f'<p class="detail-prompt">{show(item.prompt)}</p>'
    title = show(item.get_kind_display())
    action = getattr(g, "action_label", None) if g else None
    if action:
        title += f" · {show(action)}"
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<div class="detail-media">\n    {media}\n    <nav class="detail-nav">\n      '
        + "\n      ".join(links)
        + '\n    </nav>\n  </div>\n  <div class="detail-info">\n'
        + f'    <div class="detail-actions">\n      {item_fav_button(context)}\n'
        + f'      <a class="btn btn-small" href="{file_url}?download=1">{w["download"]}</a>\n'
        + f"      {copy}\n    </div>\n    <h2>{title}</h2>\n    {prompt}"
    )


@register.simple_tag(takes_context=True)
def item_board_form(context) -> SafeString:
    """Add the context's `item` to one of `boards` or a new one; `added`: the board it was just
    added to (the form's own reply, rendered alone)."""
    w = _words()
    item, added = context.get("item"), context.get("added")
    add = _url("gallery:add_to_board", item.pk)
    request = context.get("request")
    path = escape(request.get_full_path()) if request is not None else ""
    added_pk = getattr(added, "pk", None)
    options = (
        "".join(
            f'<option value="{escape(b.pk)}" {"selected" if b.pk == added_pk else ""}>'
            f"{escape(b.name)}{' · ' + w['shared'] if b.shared else ''}</option>"
            for b in context.get("boards") or ()
        )
        or f'<option value="">{w["no_boards"]}</option>'
    )
    done = ""
    if added:
        text = gettext("Added to %(board)s.") % {"board": escape(added.name)}
        done = f'\n      <span class="small" role="status">✓ {text}</span>'
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<form method="post" action="{add}" class="inline-form board-form"\n'
        f'          hx-post="{add}" hx-swap="outerHTML">\n'
        f'      {_CSRF.render(context)}<input type="hidden" name="next" value="{path}">\n'
        f"      <label>{w['add_to_board']}\n"
        f'        <select name="board">{options}</select></label>\n'
        f'      <input name="new_board" maxlength="100" placeholder="{w["new_board"]}" '
        f'aria-label="{w["new_board_name"]}">\n'
        f'      <button class="btn btn-small" type="submit">{w["add"]}</button>{done}\n'
        "    </form>"
    )


@register.simple_tag(takes_context=True)
def item_delete_form(context) -> SafeString:
    """The delete button of the context's `item`, when `can_delete`."""
    if not context.get("can_delete"):
        return mark_safe("")
    w = _words()
    delete = _url("gallery:delete_item", context.get("item").pk)
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<form method="post" action="{delete}" data-confirm="{w["confirm_delete"]}">\n'
        f'      {_CSRF.render(context)}<input type="hidden" name="next" value="{w["browse"]}">\n'
        f'      <button class="btn btn-small btn-danger" type="submit">{w["delete"]}</button>\n'
        "    </form>"
    )
