"""{% url %} remembers reversals (zcheap_site/fast_url.py) and still gives what reverse gives."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse, set_script_prefix

from zcheap_site.fast_url import cached_reverse


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("gallery:browse", []),
        ("gallery:item_detail", [5]),
        ("gallery:item_detail", [12345678901]),
        ("gallery:media_variant", [7, "small"]),
        ("gallery:media_variant", [7, "large"]),
        ("gallery:mj_inpaint", [3, 4]),
        ("gallery:mj_inpaint", [4, 3]),
        ("gallery:mj_inpaint", [11, 11]),
    ],
)
def test_the_same_url_as_reverse_every_time(name, args):
    for _ in range(2):  # the first call reverses, the second fills the remembered pattern
        assert cached_reverse(name, args) == reverse(name, args=args)


def test_what_reverse_refuses_is_refused():
    with pytest.raises(NoReverseMatch):
        cached_reverse("gallery:item_detail", [-1])
    with pytest.raises(NoReverseMatch):
        cached_reverse("gallery:item_detail", ["x/y"])
    with pytest.raises(NoReverseMatch):
        cached_reverse("no-such-view", [])


def test_a_script_prefix_is_honoured():
    cached_reverse("gallery:item_detail", [1])
    try:
        set_script_prefix("/studio/")
        assert cached_reverse("gallery:item_detail", [2]) == "/studio/gallery/2/"
    finally:
        set_script_prefix("/")
    assert cached_reverse("gallery:item_detail", [2]) == "/gallery/2/"


def test_the_tag_escapes_and_stores_as_django_s_does():
    page = _render(
        "{% url 'gallery:item_detail' pk %}|{% url 'gallery:browse' as b %}{{ b }}|"
        "{% url 'no-such-view' as missing %}[{{ missing }}]|{% url 'gallery:media_variant' pk v %}",
        pk=9,
        v="small",
    )
    assert page == "/gallery/9/|/gallery/|[]|/media/9/small/"
