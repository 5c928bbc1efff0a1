"""Compare 2–4 gallery items: settings that differ and a word-level prompt diff."""

from __future__ import annotations

import pytest

from gallery.browse.compare import word_diff
from tests.factories import make_generation, make_item

pytestmark = pytest.mark.django_db


def test_word_diff_marks_added_and_removed_words():
    pieces = word_diff("a red fox in snow", "a blue fox in snow at dawn")
    marked = [(p.text.strip(), p.change) for p in pieces if p.change]
    assert marked == [("red", "removed"), ("blue", "added"), ("at dawn", "added")]
    assert "".join(p.text for p in pieces if p.change != "removed") == "a blue fox in snow at dawn"
    assert [p.change for p in word_diff("same", "same")] == [""]
    chinese = [(p.text, p.change) for p in word_diff("一只红狐狸", "一只蓝狐狸") if p.change]
    assert chinese == [("红", "removed"), ("蓝", "added")]


def _item(team, user, prompt, **params):
    return make_item(make_generation(team, user, prompt=prompt, params=params))


def test_two_items_side_by_side_with_their_differences(alice, team_a, owner_a):
    one = _item(team_a, owner_a, "a red fox in snow", aspect_ratio="1:1", size="1K")
    two = _item(team_a, owner_a, "a blue fox in snow", aspect_ratio="16:9", size="1K")
    page = alice.get(f"/gallery/compare/?item={one.pk}&item={two.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<del class="diff-removed">red</del>' in html
    assert '<ins class="diff-added">blue</ins>' in html
    rows = page.context["rows"]
    differs = {row["label"]: row["differs"] for row in rows}
    assert differs["Shape"] is True and differs["Size"] is False
    assert f"/media/{one.pk}/large/" in html and f"/media/{two.pk}/large/" in html


def test_compare_needs_two_to_four_of_the_teams_items(alice, olga, team_a, owner_a, team_b):
    items = [_item(team_a, owner_a, f"p{n}") for n in range(5)]
    query = "&".join(f"item={i.pk}" for i in items)
    response = alice.get(f"/gallery/compare/?{query}", follow=True)
    assert "Select 2 to 4 pictures to compare (you selected 5)." in response.content.decode()
    response = alice.get(f"/gallery/compare/?item={items[0].pk}", follow=True)
    assert "(you selected 1)" in response.content.decode()
    # Another team's items are not found: an outsider cannot compare them.
    response = olga.get(f"/gallery/compare/?item={items[0].pk}&item={items[1].pk}", follow=True)
    assert "(you selected 0)" in response.content.decode()
    assert b"p0" not in response.content
    assert alice.post(f"/gallery/compare/?item={items[0].pk}&item={items[1].pk}").status_code == 405


def test_the_gallery_selection_and_the_batch_card_lead_to_compare(alice):
    page = alice.get("/gallery/").content.decode()
    assert 'formaction="/gallery/compare/" formmethod="get"' in page
