"""The review-link form built as a string ({% share_form %}, sharing/templatetags/sharing.py)
is the template it replaced (kept below), for an item and a board, in both languages."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.template import Context, engines
from django.test import RequestFactory
from django.utils import translation

from sharing.templatetags.sharing import LINK_FORM_FIELDS

TEMPLATE = (
    "{% load i18n %}"
    + """<details class="share-details">
  <summary class="btn btn-small">{% translate "Create review link" %}</summary>
  <form method="post" action="{% url 'sharing:create_link' %}" class="share-form" data-share-form>
    {% csrf_token %}
    <input type="hidden" name="next" value="{{ request.get_full_path }}">
    {% if board %}<input type="hidden" name="board" value="{{ board.pk }}">{% else %}<input type="hidden" name="item" value="{{ item.pk }}">{% endif %}
    <label>{{ form.title.label }} <input name="title" maxlength="120"></label>
    <label>{{ form.days.label }} <input type="number" name="days" min="1" max="90" value="14" required></label>
    <label>{{ form.password.label }} <input type="password" name="password" maxlength="128" autocomplete="new-password"></label>
    <label class="check"><input type="checkbox" name="show_prompts" value="on"> {{ form.show_prompts.label }}</label>
    <button class="btn btn-primary btn-small" type="submit">{% translate "Create link" %}</button>
  </form>
</details>
"""
)


def _normal(html: str) -> str:
    return re.sub(r"> <", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("target", ["item", "board"])
def test_the_same_form_as_the_template(language, target):
    request = RequestFactory().get("/gallery/7/?q=a&b=<c>")
    values = {
        "request": request,
        "csrf_token": "TOKEN",
        "form": LINK_FORM_FIELDS,
        target: SimpleNamespace(pk=7),
    }
    with translation.override(language):
        for _ in range(2):  # the second from memory
            old = engines["django"].from_string(TEMPLATE).template.render(Context(values))
            new = engines["django"].from_string("{% load sharing %}{% share_form %}")
            new = new.template.render(Context(values))
            assert _normal(new) == _normal(old)
    assert f'name="{target}" value="7"' in new
    assert "&amp;b=" in new and 'value="TOKEN"' in new
