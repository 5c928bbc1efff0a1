"""The item page's picture, buttons, title, facts and create-from-this links built as strings
({% item_head %}, {% item_fav_button %}, {% item_facts %}, {% item_actions %},
{% item_board_form %}, {% item_delete_form %}:
gallery/browse/item_tags.py) are the template lines they replaced (kept
below), for every kind of task, an item without one, and both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace as Obj

import pytest
from django.template import Context, engines
from django.test import RequestFactory
from django.utils import translation

TEMPLATE = (
    "{% load i18n %}"
    + """    <div class="detail-actions">
      {% if g %}
        {% if g.kind == "image" %}<a class="btn btn-small" href="{% url 'gallery:create_image' %}?from={{ g.pk }}">{% translate "Reuse settings" %}</a>
        {% elif g.kind == "video" %}<a class="btn btn-small" href="{% url 'gallery:create_video' %}?from={{ g.pk }}">{% translate "Reuse settings" %}</a>
        {% elif g.kind == "mj" %}{% with o=g.origin %}<a class="btn btn-small" href="{% url 'gallery:create_mj' %}?{% if o.action == 'blend' %}mode=blend&amp;{% endif %}from={{ o.pk }}">{% translate "Reuse settings" %}</a>{% endwith %}{% endif %}
        {% if g.kind != "mj" or g.origin.action == "imagine" %}<a class="btn btn-small" href="{% url 'presets:new' %}?from={{ g.pk }}">{% translate "Save as preset" %}</a>{% endif %}
      {% endif %}
      {% if item.media_kind == "image" %}
        <a class="btn btn-small" href="{% url 'gallery:create_image' %}?ref_item={{ item.pk }}">{% translate "Use as reference" %}</a>
        <a class="btn btn-small" href="{% url 'gallery:create_video' %}?ref_item={{ item.pk }}&amp;as=frame">{% translate "Animate (first frame)" %}</a>
        <a class="btn btn-small" href="{% url 'gallery:create_mj' %}?mode=blend&amp;ref_item={{ item.pk }}">{% translate "Blend" %}</a>
      {% endif %}
    </div>
"""
)

FACTS = (
    "{% load i18n %}"
    + """    <dl class="facts">
      <dt>{% translate "Model" %}</dt><dd>{{ item.model_label|default:"—" }}</dd>
      <dt>{% translate "By" %}</dt><dd>{{ item.user.label|default:"—" }}</dd>
      <dt>{% translate "Made" %}</dt><dd>{{ item.created_at|date:"DATETIME_FORMAT" }}</dd>
      <dt>{% translate "Dimensions" %}</dt><dd>{{ item.width }} × {{ item.height }}{% if item.duration %} · {% blocktranslate with s=item.duration|floatformat:"-1" %}{{ s }} s{% endblocktranslate %}{% endif %} · {{ item.size_bytes|filesizeformat }}</dd>
      {% if g %}{% for label, value in g.settings_display %}<dt>{{ label }}</dt><dd>{{ value }}</dd>{% endfor %}
      {% if g.usage.total_tokens %}<dt>{% translate "Usage" %}</dt><dd>{% blocktranslate with n=g.usage.total_tokens %}{{ n }} tokens{% endblocktranslate %}</dd>{% endif %}{% if g.amount_usd is not None %}<dt>{% translate "Cost (reported by Zcheap)" %}</dt><dd>${{ g.amount_usd|floatformat:4 }}</dd>{% endif %}{% endif %}
    </dl>
"""
)
MADE = datetime(2026, 3, 4, 15, 6, tzinfo=UTC)


def _item(**fields):
    base = {
        "pk": 11,
        "media_kind": "image",
        "created_at": MADE,
        "width": 1024,
        "height": 768,
        "duration": None,
        "size_bytes": 123456,
        "model_label": "Nano <Banana>",
        "user": Obj(label="Ann & Bo"),
    }
    return Obj(**{**base, **fields})


def _task(**fields):
    base = {
        "settings_display": [("Shape", "16:9"), ("Steps", 30)],
        "usage": {"total_tokens": 1290},
        "amount_usd": Decimal("0.039000"),
    }
    return Obj(**{**base, **fields})


FACT_CASES = {
    "image with its task": (_item(), _task()),
    "video, 7.5 s": (_item(media_kind="video", duration=7.5, size_bytes=9_876_543), _task()),
    "video, 5 s": (_item(media_kind="video", duration=5.0), _task(usage={}, amount_usd=None)),
    "no task": (_item(model_label="", user=Obj(label="")), None),
    "task without settings": (_item(), _task(settings_display=[], usage=None)),
    "no size yet": (_item(width=None, height=None, size_bytes=0), _task(amount_usd=Decimal(0))),
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("case", FACT_CASES)
def test_the_same_facts_as_the_template(language, case):
    item, g = FACT_CASES[case]
    values = {"item": item, "g": g}
    with translation.override(language):
        old = engines["django"].from_string(FACTS).template.render(Context(values))
        new = engines["django"].from_string("{% load item_page %}{% item_facts %}")
        new = new.template.render(Context(values))
    assert _normal(new) == _normal(old)
    assert "Nano &lt;Banana&gt;" in new or not item.model_label


HEAD = (
    "{% load i18n %}"
    + """  <div class="detail-media">
    {% if item.media_kind == "video" %}
      <video controls playsinline preload="metadata" {% if item.poster %}poster="{% url 'gallery:media_variant' item.pk 'poster' %}?v={{ item.media_version }}"{% endif %}>
        <source src="{% url 'gallery:media_file' item.pk %}" type="{{ item.content_type|default:'video/mp4' }}"></video>
    {% else %}
      <img src="{% url 'gallery:media_file' item.pk %}?v={{ item.media_version }}" alt="{{ item.prompt|truncatechars:120 }}" {% if item.width %}width="{{ item.width }}" height="{{ item.height }}"{% endif %}>
    {% endif %}
    <nav class="detail-nav">
      {% if newer %}<a class="btn btn-small" href="{% url 'gallery:item_detail' newer %}" data-nav="newer">← {% translate "Newer" %}</a>{% endif %}
      {% if older %}<a class="btn btn-small" href="{% url 'gallery:item_detail' older %}" data-nav="older">{% translate "Older" %} →</a>{% endif %}
    </nav>
  </div>
  <div class="detail-info">
    <div class="detail-actions">
      <form method="post" action="{% url 'gallery:toggle_favourite' item.pk %}" hx-post="{% url 'gallery:toggle_favourite' item.pk %}" hx-swap="outerHTML" class="fav-form">
  {% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}">
  <button class="btn btn-small{% if is_favourite %} is-on{% endif %}" type="submit" aria-pressed="{{ is_favourite|yesno:'true,false' }}">{% if is_favourite %}★ {% translate "Favourite" %}{% else %}☆ {% translate "Add to favourites" %}{% endif %}</button>
</form>
      <a class="btn btn-small" href="{% url 'gallery:media_file' item.pk %}?download=1">{% translate "Download original" %}</a>
      {% if item.prompt %}<button type="button" class="btn btn-small" data-copy="{{ item.prompt }}">{% translate "Copy prompt" %}</button>{% endif %}
    </div>
    <h2>{{ item.get_kind_display }}{% if g.action_label %} · {{ g.action_label }}{% endif %}</h2>
    {% if item.prompt %}<p class="detail-prompt">{{ item.prompt }}</p>{% endif %}
"""
)
LONG = "a <fox> & " + "night " * 30


def _shown(**fields):
    base = {
        "pk": 21,
        "media_kind": "image",
        "media_version": "abc123",
        "prompt": LONG,
        "width": 1024,
        "height": 768,
        "poster": None,
        "content_type": "video/webm",
        "get_kind_display": lambda: "Image <x>",
    }
    return Obj(**{**base, **fields})


HEAD_CASES = {
    "image, both neighbours, favourite": (_shown(), Obj(action_label="U2 & more"), 5, 9, True),
    "image, no size, no prompt": (_shown(width=None, prompt=""), None, None, 9, False),
    "newest": (_shown(), Obj(action_label=""), 5, None, False),
    "video with poster": (_shown(media_kind="video", poster="p.jpg"), None, None, None, True),
    "video, no poster": (_shown(media_kind="video", content_type=""), None, 4, 8, False),
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("case", HEAD_CASES)
def test_the_same_head_as_the_template(language, case):
    item, g, newer, older, favourite = HEAD_CASES[case]
    values = {
        "item": item,
        "g": g,
        "newer": newer,
        "older": older,
        "is_favourite": favourite,
        "request": RequestFactory().get("/gallery/21/?q=a&b=c"),
        "csrf_token": "TOKEN",
    }
    with translation.override(language):
        old = engines["django"].from_string(HEAD).template.render(Context(values))
        new = engines["django"].from_string("{% load item_page %}{% item_head %}")
        new = new.template.render(Context(values))
    assert _normal(new) == _normal(old)
    assert ("is-on" in new) == favourite and 'value="TOKEN"' in new
    assert "&lt;fox&gt; &amp;" in new or not item.prompt


FORMS = (
    "{% load i18n %}"
    + """    <form method="post" action="{% url 'gallery:add_to_board' item.pk %}" class="inline-form board-form"
          hx-post="{% url 'gallery:add_to_board' item.pk %}" hx-swap="outerHTML">
      {% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}">
      <label>{% translate "Add to board" %}
        <select name="board">{% for b in boards %}<option value="{{ b.pk }}" {% if b.pk == added.pk %}selected{% endif %}>{{ b.name }}{% if b.shared %} · {% translate "shared" %}{% endif %}</option>{% empty %}<option value="">{% translate "No boards yet" %}</option>{% endfor %}</select></label>
      <input name="new_board" maxlength="100" placeholder="{% translate 'or a new board' %}" aria-label="{% translate 'New board name' %}">
      <button class="btn btn-small" type="submit">{% translate "Add" %}</button>
      {% if added %}<span class="small" role="status">✓ {% blocktranslate with board=added.name %}Added to {{ board }}.{% endblocktranslate %}</span>{% endif %}
    </form>
    {% if can_delete %}
    <form method="post" action="{% url 'gallery:delete_item' item.pk %}" data-confirm="{% translate 'Delete this from the gallery? You can undo it right after.' %}">
      {% csrf_token %}<input type="hidden" name="next" value="{% url 'gallery:browse' %}">
      <button class="btn btn-small btn-danger" type="submit">{% translate "Delete" %}</button>
    </form>
    {% endif %}
"""
)
BOARDS = [Obj(pk=1, name="Mood <1>", shared=False), Obj(pk=2, name="Team & co", shared=True)]
FORM_CASES = {
    "boards, may delete": (BOARDS, None, True),
    "just added to the shared board": (BOARDS, BOARDS[1], False),
    "no boards yet": ([], None, True),
    "first board just made": ([BOARDS[0]], BOARDS[0], False),
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("case", FORM_CASES)
def test_the_same_board_and_delete_forms_as_the_template(language, case):
    boards, added, can_delete = FORM_CASES[case]
    values = {
        "item": Obj(pk=21),
        "boards": boards,
        "added": added,
        "can_delete": can_delete,
        "request": RequestFactory().get("/gallery/21/?q=a&b=c"),
        "csrf_token": "TOKEN",
    }
    with translation.override(language):
        old = engines["django"].from_string(FORMS).template.render(Context(values))
        new = engines["django"].from_string(
            "{% load item_page %}{% item_board_form %}{% item_delete_form %}"
        )
        new = new.template.render(Context(values))
    assert _normal(new) == _normal(old)
    assert ("btn-danger" in new) == can_delete
    assert ('role="status"' in new) == bool(added)


IMAGE = Obj(pk=11, media_kind="image")
VIDEO = Obj(pk=12, media_kind="video")
CASES = {
    "image task": (IMAGE, Obj(pk=3, kind="image")),
    "video task": (VIDEO, Obj(pk=4, kind="video")),
    "video from an image": (IMAGE, Obj(pk=4, kind="video")),
    "mj imagine": (IMAGE, Obj(pk=5, kind="mj", origin=Obj(pk=5, action="imagine"))),
    "mj blend": (IMAGE, Obj(pk=6, kind="mj", origin=Obj(pk=6, action="blend"))),
    "mj action": (IMAGE, Obj(pk=9, kind="mj", origin=Obj(pk=2, action="imagine"))),
    "mj action on a blend": (IMAGE, Obj(pk=9, kind="mj", origin=Obj(pk=2, action="blend"))),
    "an upload": (IMAGE, None),
    "a video upload": (VIDEO, None),
}


def _normal(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("case", CASES)
def test_the_same_buttons_as_the_template(language, case):
    item, g = CASES[case]
    values = {"item": item, "g": g}
    with translation.override(language):
        old = engines["django"].from_string(TEMPLATE).template.render(Context(values))
        new = engines["django"].from_string("{% load item_page %}{% item_actions %}")
        new = new.template.render(Context(values))
    assert _normal(new) == _normal(old)
    assert ("ref_item=11" in new) == (item is IMAGE)
