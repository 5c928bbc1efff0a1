"""Task cards, rendered as plain strings: `{% load cards %}{% card g %}` (history, live polls,
new cards, the single-card view).

History shows 24 whole cards a page and every poll that finds a change re-sends cards. In the
template engine a card cost ~1.5 ms (≈ 60 variable lookups, 25 `{% if %}`, 7 URL reversals and
20 translations per card), which made history 4.6–8× the gallery's bare render. Built here it
costs a few tens of microseconds: URLs are reversed once per process (zcheap_site.fast_url),
fixed strings and choice labels translated once per language, and every free value goes through
one `html.escape`. What goes in unescaped is safe by construction: integers, state and
kind codes from our own choices, and strings escaped once here.

The Midjourney action panel (only on finished MJ cards) stays a template
(`gallery/_mj_actions.html`, also used on the item page).
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext, gettext_noop

from gallery.models import Kind, State
from zcheap_site.fast_url import cached_reverse

register = template.Library()


def url(name: str, *args) -> str:
    """The URL of NAME with ARGS (integers and fixed strings), HTML-escaped, reversed once per
    process (zcheap_site.fast_url)."""
    return escape(cached_reverse(name, args))


_words: dict[str, dict] = {}


def warm_words() -> None:
    """Translate the card's fixed strings in the active language now (the web master's warm-up,
    zcheap_site/warmup.py, before it forks its workers)."""
    _w()


def _w() -> dict[str, str]:
    """The card's fixed strings in the active language, escaped (translated once per language)."""
    language = get_language() or ""
    found = _words.get(language)
    if found is None:
        found = {
            key: escape(gettext(text))
            for key, text in {
                "progress": gettext_noop("Progress"),
                "s": gettext_noop("{s} s"),
                "m": gettext_noop("{m} min {s} s"),
                "secs": gettext_noop("%(s)s s"),
                "from": gettext_noop("from task #%(n)s"),
                "trash": gettext_noop("In Trash"),
                "restore": gettext_noop("Restore"),
                "open": gettext_noop("Open in the gallery"),
                "result": gettext_noop("Result %(n)s"),
                "upscale": gettext_noop("Upscale"),
                "vary": gettext_noop("Vary (subtle)"),
                "review": gettext_noop(
                    "What now: Zcheap may have received this task. Look in your Zcheap account's "
                    "task list before you retry, so you do not pay twice."
                ),
                "failed": gettext_noop(
                    "What now: change the prompt or settings with Edit & retry, or send it "
                    "again as it is with Retry."
                ),
                "details": gettext_noop("Details from Zcheap"),
                "confirm": gettext_noop(
                    "Stop waiting for this result? If Zcheap has already started on it, it may "
                    "still be charged, and you will not see the result here."
                ),
                "stop_title": gettext_noop(
                    "Stop checking on this task. It may still be charged if Zcheap already "
                    "started it."
                ),
                "stop": gettext_noop("Stop waiting"),
                "retry": gettext_noop("Retry"),
                "duplicate": gettext_noop("Duplicate"),
                "edit": gettext_noop("Edit & retry"),
            }.items()
        }
        # Choice labels, escaped: get_FOO_display() rebuilds the choices dict on every call.
        found["kinds"] = {value: escape(str(label)) for value, label in Kind.choices}
        found["states"] = {value: escape(str(label)) for value, label in State.choices}
        _words[language] = found
    return found


def _csrf(context) -> str:
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(token))}">'


def _result(g, item, n: int, count: int, w, ctx) -> str:
    pk = int(item.pk)
    number = f'<span class="result-n">{n}</span>' if count > 1 else ""
    if item.deleted_at:
        restore = ""
        if item.is_restorable and (
            ctx["can_manage"] or (ctx["can_generate"] and item.user_id == ctx["user_id"])
        ):
            restore = (
                f'<form method="post" action="{url("gallery:restore_items")}" class="inline-form">'
                f'\n            {ctx["csrf"]}<input type="hidden" name="next" '
                f'value="{ctx["here_or_page"]}"><input type="hidden" name="item" value="{pk}">'
                f'\n            <button class="btn btn-small" type="submit">{w["restore"]}</button>'
                "\n          </form>"
            )
        return (
            f'<div class="result-wrap result-trashed" data-trashed-item="{pk}">'
            f'<div class="result result-placeholder"><span>{w["trash"]}</span>{number}'
            f"{restore}</div></div>"
        )
    if item.media_kind == "video":
        poster = (
            f' poster="{url("gallery:media_variant", pk, "poster")}?v={escape(item.media_version)}"'
            if item.poster
            else ""
        )
        return (
            f'<video controls preload="metadata" playsinline{poster} '
            f'width="{escape(str(item.width or 320))}" height="{escape(str(item.height or 180))}">'
            f'<source src="{url("gallery:media_file", pk)}" '
            f'type="{escape(item.content_type or "video/mp4")}"></video>'
            f'<a class="small" href="{url("gallery:item_detail", pk)}">{w["open"]}</a>'
        )
    v = escape(item.media_version)
    small = url("gallery:media_variant", pk, "small")
    large = url("gallery:media_variant", pk, "large")
    srcset = f"{small}?v={v} 320w, {large}?v={v} 640w"
    if g.shows_large:
        # An upscale is shown large: the original joins the candidates when it is bigger.
        sizes = "(max-width: 700px) 95vw, 960px"
        if item.width and item.width > 640:
            srcset += f", {url('gallery:media_file', pk)}?v={v} {int(item.width)}w"
    elif count == 1:
        sizes = "(max-width: 700px) 90vw, 480px"
    else:
        sizes = "(max-width: 700px) 45vw, 200px"
    size = (
        f' width="{escape(str(item.width))}" height="{escape(str(item.height))}"'
        if item.width
        else ""
    )
    quick = ""
    if count == 4 and ctx["can_generate"] and g.can_take_mj_actions and not g.mj_single:
        action = url("gallery:mj_action", g.pk)
        up, vary = w["upscale"], w["vary"]
        quick = (
            f'<form method="post" action="{action}" hx-post="{action}" hx-target="#cards" '
            f'hx-swap="afterbegin" class="quick-mj">{ctx["csrf"]}<input type="hidden" '
            f'name="next" value="{ctx["page"]}">'
            f'<button class="btn btn-small" name="do" value="upscale:{n}" title="{up} {n}" '
            f'aria-label="{up} #{n}">U{n}</button>'
            f'<button class="btn btn-small" name="do" value="low_variation:{n}" '
            f'title="{vary} {n}" aria-label="{vary} #{n}">V{n}</button></form>'
        )
    alt = w["result"] % {"n": n}
    return (
        f'<div class="result-wrap"><a href="{url("gallery:item_detail", pk)}" class="result">'
        f'<img src="{small}?v={v}" srcset="{srcset}" '
        f'sizes="{sizes}" alt="{alt}" loading="lazy"{size}>{number}</a>{quick}</div>'
    )


def render_card(g, context) -> SafeString:
    """One card, as `gallery/_card.html` used to render it, for the request in CONTEXT."""
    w = _w()
    request = context.get("request")
    membership = context.get("current_membership")
    page = escape(request.get_full_path()) if request is not None else ""
    htmx = getattr(request, "htmx", None)
    ctx = {
        "can_generate": bool(membership and membership.can_generate),
        "can_manage": bool(membership and membership.can_manage),
        "user_id": getattr(getattr(request, "user", None), "id", None),
        "csrf": _csrf(context),
        "page": page,
        "here_or_page": escape(htmx.current_url_abs_path or "") if htmx else "",
    }
    ctx["here_or_page"] = ctx["here_or_page"] or page
    pk = int(g.pk)
    tone = g.tone
    active = g.is_active
    out = [
        f'<article id="gen-{pk}" class="card tone-{tone}'
        + (" card-large" if g.shows_large else "")
        + '"'
        + (f' data-active-card="{pk}:{int(g.version)}"' if active else "")
        + f' aria-labelledby="gen-{pk}-title">'
    ]
    action_label = g.action_label
    kind = w["kinds"].get(g.kind) or escape(g.kind)
    title = kind + (f" · {escape(action_label)}" if action_label else "")
    out.append(
        f'<header class="card-head"><span id="gen-{pk}-title" class="card-kind">{title}</span>'
        f'<span class="badge badge-{tone}" data-state="{escape(g.state)}">'
        f"{w['states'].get(g.state) or escape(g.state)}</span></header>"
    )
    created = template_localtime(g.created_at)
    user_label = escape(g.user.label) if g.user_id and g.user and g.user.label else "—"
    meta = (
        f"{escape(g.model_label)} · {user_label} · "
        f'<time datetime="{created.isoformat()}">'
        f"{escape(date_format(created, 'SHORT_DATETIME_FORMAT'))}</time>"
    )
    if g.parent_id:
        source = g.source_item
        text = w["from"] % {"n": int(g.parent_id)}
        if source is not None:
            text = (
                f'<a href="{url("gallery:item_detail", source.pk)}" '
                f'data-card-link="gen-{int(g.parent_id)}">{text}</a>'
            )
        meta += f" · {text}"
    out.append(f'<p class="card-meta muted">{meta}</p>')
    if g.prompt:
        prompt = g.prompt if len(g.prompt) <= 220 else Truncator(g.prompt).chars(220)
        out.append(f'<p class="card-prompt" title="{escape(g.prompt)}">{escape(prompt)}</p>')
    if active:
        progress = int(g.progress)
        started = int(g.created_at.timestamp())
        out.append(
            f'<div class="progress-row"><progress max="100" value="{progress}" '
            f'aria-label="{w["progress"]}">{progress}%</progress><span class="muted">'
            f'{progress}% · <span data-elapsed-from="{started}" '
            f'data-server-now="{int(timezone.now().timestamp())}" data-seconds="{w["s"]}" '
            f'data-minutes="{w["m"]}">{w["secs"] % {"s": g.elapsed_seconds}}</span></span></div>'
        )
    items = g.results
    if items:
        count = len(items)
        out.append(f'<div class="results results-{count}">')
        out.extend(_result(g, item, n, count, w, ctx) for n, item in enumerate(items, 1))
        out.append("</div>")
    if g.may_have_been_charged:
        # Rare (an uncertain failure, or stopped after sending): a template, like the MJ panel.
        check = context.template.engine.get_template("gallery/_card_check.html")
        with context.push(g=g):
            out.append(check.render(context))
    if g.error_message:
        role = "alert" if g.state in ("failed", "needs_review") else "status"
        parts = [f'<div class="card-error" role="{role}"><p>{escape(g.error_display)}</p>']
        if g.state == "needs_review":
            parts.append(f'<p class="card-next">{w["review"]}</p>')
        elif g.state in ("failed", "timed_out"):
            parts.append(f'<p class="card-next">{w["failed"]}</p>')
        if g.upstream_error:
            note = g.upstream_error_note
            parts.append(
                f"<details><summary>{w['details']}</summary>"
                + (f"<p>{escape(note)}</p>" if note else "")
                + f"<pre>{escape(g.upstream_error)}</pre></details>"
            )
        parts.append("</div>")
        out.append("".join(parts))
    warning = g.action_warning
    if warning:
        out.append(
            f'<div class="card-error card-warning" role="status" '
            f'data-action-check="{escape(g.action_check)}"><p>{escape(warning)}</p></div>'
        )
    if ctx["can_generate"]:
        out.append(_actions(g, pk, active, w, ctx))
        if g.can_take_mj_actions:
            panel = context.template.engine.get_template("gallery/_mj_actions.html")
            with context.push(g=g):
                out.append(panel.render(context))
    out.append("</article>")
    return mark_safe("\n".join(out))  # noqa: S308 - every free value above is escaped


def _actions(g, pk: int, active: bool, w, ctx) -> str:
    csrf, page = ctx["csrf"], ctx["page"]
    if active and not g.can_stop_waiting:
        body = f'<p class="small muted" data-cannot-stop>{escape(g.cannot_stop_reason)}</p>'
    elif active:
        cancel = url("gallery:cancel", pk)
        body = (
            f'<form method="post" action="{cancel}" hx-post="{cancel}" hx-target="#gen-{pk}" '
            f'hx-swap="outerHTML" data-confirm="{w["confirm"]}">{csrf}<input type="hidden" '
            f'name="next" value="{page}"><button class="btn btn-small" type="submit" '
            f'title="{w["stop_title"]}">{w["stop"]}</button></form>'
        )
    else:
        again = url("gallery:again", pk)
        label = w["retry"] if g.can_retry else w["duplicate"]
        body = (
            f'<form method="post" action="{again}" hx-post="{again}" hx-target="#cards" '
            f'hx-swap="afterbegin">{csrf}<input type="hidden" name="next" value="{page}">'
            f'<button class="btn btn-small" type="submit">{label}</button></form>'
        )
        edit = ""
        if g.kind == "image":
            edit = f"{url('gallery:create_image')}?from={pk}"
        elif g.kind == "video":
            edit = f"{url('gallery:create_video')}?from={pk}"
        elif g.action == "imagine":
            edit = f"{url('gallery:create_mj')}?from={pk}"
        elif g.action == "blend":
            edit = f"{url('gallery:create_mj')}?mode=blend&amp;from={pk}"
        if edit:
            body += f'<a class="btn btn-small" href="{edit}">{w["edit"]}</a>'
    return f'<footer class="card-actions">{body}</footer>'


@register.simple_tag(takes_context=True)
def card(context, g) -> SafeString:
    return render_card(g, context)
