"""{% static %} of a literal path is remembered (zcheap_site/fast_static.py) and still renders
what Django's tag renders."""

from __future__ import annotations

import pytest
from django.template import engines

from zcheap_site import fast_static

SOURCES = [
    "{% static 'css/app.css' %}",
    '{% static "js/app.js" %}',
    "{% static 'img/a b&c.svg' %}",
    "{% static 'css/app.css' as sheet %}[{{ sheet }}]",
    "{% static path %}",
    "{% autoescape off %}{% static 'img/a b&c.svg' %}{% endautoescape %}",
]


def _render(source: str) -> str:
    template = engines["django"].from_string("{% load static %}" + source)
    return template.render({"path": "css/gallery.css"})


def test_a_literal_path_is_remembered():
    assert type(_nodes("{% static 'css/app.css' %}")[-1]) is fast_static.RememberedStaticNode
    assert type(_nodes("{% static path %}")[-1]) is not fast_static.RememberedStaticNode


def _nodes(source: str):
    return engines["django"].from_string("{% load static %}" + source).template.nodelist


@pytest.mark.parametrize("source", SOURCES)
def test_the_same_output_as_djangos_tag_every_time(source, settings):
    assert engines["django"].engine.template_libraries["static"] is fast_static.register
    ours = [_render(source) for _ in range(2)]  # the second from memory
    backend = "django.template.backends.django.DjangoTemplates"
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "BACKEND": backend}]  # Django's static
    assert engines["django"].engine.template_libraries["static"] is not fast_static.register
    assert ours == [_render(source)] * 2
    assert ours[0].strip("[]").startswith(settings.STATIC_URL)
