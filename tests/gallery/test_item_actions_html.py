"""The item page's create-from-this buttons built as a string ({% item_actions %},
gallery/browse/item_tags.py) are the template lines they replaced (kept below), for every kind
of task, an item without one, and both languages."""

from __future__ import annotations

import re
from types import SimpleNamespace as Obj

import pytest
from django.template import Context, engines
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
