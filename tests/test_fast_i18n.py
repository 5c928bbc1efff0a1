"""{% translate %} of a literal is remembered per language (zcheap_site/fast_i18n.py) and still
renders what Django's tag renders, in every language, escaped or not."""

from __future__ import annotations

import pytest
from django.template import engines
from django.utils import translation

from zcheap_site import fast_i18n

SOURCES = [
    '{% translate "Gallery" %}',
    "{% translate 'Delete' %}",
    '{% translate "a < b & 100%% sure" %}',
    '{% autoescape off %}{% translate "a < b" %}{% endautoescape %}',
    '{% translate "May" context "month name" %}',
    '{% translate "Gallery" noop %}',
    '{% translate "Gallery" as label %}[{{ label }}]',
    "{% translate word %}",
    '{% translate "Gallery"|upper %}',
    "{% blocktranslate with n=3 %}{{ n }} tokens{% endblocktranslate %}",
]


def _render(source: str) -> str:
    return engines["django"].from_string("{% load i18n %}" + source).render({"word": "Trash"})


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_same_output_as_djangos_tag_every_time(source, language, settings):
    assert engines["django"].engine.template_libraries["i18n"] is fast_i18n.register
    with translation.override(language):
        ours = [_render(source) for _ in range(2)]  # the second from memory
    backend = "django.template.backends.django.DjangoTemplates"
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "BACKEND": backend}]  # Django's i18n
    assert engines["django"].engine.template_libraries["i18n"].tags["translate"].__module__ == (
        "django.templatetags.i18n"
    )
    with translation.override(language):
        theirs = _render(source)
    assert ours == [theirs, theirs]


def test_languages_are_remembered_apart():
    with translation.override("zh-hans"):
        chinese = _render('{% translate "Gallery" %}')
    with translation.override("en"):
        english = _render('{% translate "Gallery" %}')
    assert english == "Gallery" and chinese != english and chinese.strip()
    assert any(key[1] == "Gallery" for key in fast_i18n._rendered)
