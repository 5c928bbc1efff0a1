"""The header built as strings (zcheap_site/layout.py) shows what the layout template showed:
the template it replaced is kept below and rendered with each page's own context next to the new
tags, for members, owners, staff, anonymous visitors, several pages and both languages."""

from __future__ import annotations

import re

import pytest
from django.template import Context, engines
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership, Role
from tests.conftest import client_for, make_user

# templates/base.html's header before it was built in Python (the spend chip stays a template).
TEMPLATE = (
    """{% load i18n %}{% get_current_language as LANGUAGE_CODE %}"""
    + """      <a class="brand" href="{% url 'home' %}"><span class="brand-mark" aria-hidden="true">Z</span> Zcheap Studio</a>
      {% if user.is_authenticated %}
      <button class="nav-toggle" type="button" aria-expanded="false" aria-controls="site-nav" data-nav-toggle>
        <span class="visually-hidden">{% translate "Menu" %}</span>☰
      </button>
      {% endif %}
      <div class="bar-tools">
        {% if user.is_authenticated and user_memberships %}
        <form method="post" action="{% url 'accounts:switch_team' %}" class="team-switcher" data-autosubmit>
          {% csrf_token %}
          <input type="hidden" name="next" value="{{ request.get_full_path }}">
          <label for="team-switch" class="visually-hidden">{% translate "Current team" %}</label>
          <select id="team-switch" name="team_id" data-autosubmit-field>
            {% for m in user_memberships %}
            <option value="{{ m.team_id }}" {% if m.team_id == current_team.pk %}selected{% endif %}>{{ m.team.name }} · {{ m.get_role_display }}</option>
            {% endfor %}
          </select>
          <noscript><button type="submit" class="btn btn-small">{% translate "Switch" %}</button></noscript>
        </form>
        {% endif %}
        <form action="{% url 'set_language' %}" method="post" class="lang-switcher" data-autosubmit>
          {% csrf_token %}
          <input name="next" type="hidden" value="{{ request.get_full_path }}">
          <label for="lang-switch" class="visually-hidden">{% translate "Language" %}</label>
          {% get_available_languages as LANGUAGES %}{% get_language_info_list for LANGUAGES as languages %}
          <select id="lang-switch" name="language" data-autosubmit-field>
            {% for language in languages %}
            <option value="{{ language.code }}" {% if language.code == LANGUAGE_CODE %}selected{% endif %}>{{ language.name_local }}</option>
            {% endfor %}
          </select>
          <noscript><button type="submit" class="btn btn-small">{% translate "Go" %}</button></noscript>
        </form>
                {% if user.is_authenticated %}
        <details class="user-menu">
          <summary>{{ user.label }}</summary>
          <div class="menu">
            <a href="{% url 'account_change_password' %}">{% translate "Change password" %}</a>
            {% if user.is_staff %}<a href="{% url 'admin:index' %}">{% translate "Site administration" %}</a>{% endif %}
            {% if user.is_staff and not current_team %}<a href="{% url 'operations:index' %}">{% translate "Operations" context "worker health page" %}</a>{% endif %}
            <form method="post" action="{% url 'account_logout' %}">{% csrf_token %}<button type="submit" class="linklike">{% translate "Log out" %}</button></form>
          </div>
        </details>
        {% endif %}
      </div>
"""
    + """      {% if user.is_authenticated and current_team %}{% with n=current_membership.unread_notifications %}<a class=\"bell\" href=\"{% url 'notifications:inbox' %}\" data-bell title=\"{% translate 'Notifications' %}\"><svg class=\"bell-icon\" viewBox=\"0 0 24 24\" width=\"18\" height=\"18\" aria-hidden=\"true\" focusable=\"false\"><path fill=\"currentColor\" d=\"M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z\"/></svg><span class=\"visually-hidden\">{% translate \"Notifications\" %}</span>{% if n %}<span class=\"bell-count\" data-bell-count>{{ n }}</span><span class=\"visually-hidden\">{% blocktranslate count n=n %}{{ n }} unread{% plural %}{{ n }} unread{% endblocktranslate %}</span>{% endif %}</a>{% endwith %}{% endif %}
    {% if user.is_authenticated and current_team %}
    {% url 'home' as home_url %}
    <nav id="site-nav" class="site-nav" aria-label="{% translate 'Main' %}">
      <span class="nav-group-label">{% translate "Create" %}</span>
      <a href="{% url 'gallery:create_image' %}" {% if request.resolver_match.url_name == 'create_image' %}aria-current="page"{% endif %}>{% translate "Image" %}</a>
      <a href="{% url 'gallery:create_mj' %}" {% if request.resolver_match.url_name == 'create_mj' %}aria-current="page"{% endif %}>{% translate "Midjourney" %}</a>
      <a href="{% url 'gallery:create_video' %}" {% if request.resolver_match.url_name == 'create_video' %}aria-current="page"{% endif %}>{% translate "Video" %}</a>
      <span class="nav-sep" aria-hidden="true"></span>
      <a href="{% url 'gallery:history' %}" {% if request.resolver_match.url_name == 'history' %}aria-current="page"{% endif %}>{% translate "History" %}</a>
      <a href="{% url 'gallery:browse' %}" {% if request.resolver_match.url_name == 'browse' %}aria-current="page"{% endif %}>{% translate "Gallery" %}</a>
      <a href="{% url 'assets:index' %}" {% if request.resolver_match.app_name == 'assets' %}aria-current="page"{% endif %}>{% translate "Assets" %}</a>
      <a href="{% url 'spend:usage' %}" {% if request.resolver_match.app_name == 'spend' and request.resolver_match.url_name != 'budgets' %}aria-current="page"{% endif %}>{% translate "Usage" %}</a>
      <a href="{% url 'accounts:team_settings' %}" {% if request.resolver_match.url_name == 'team_settings' %}aria-current="page"{% endif %}>{% translate "Team" %}</a>
      {% if current_membership.can_manage or user.is_staff or user.is_superuser %}<a href="{% url 'operations:index' %}" {% if request.resolver_match.app_name == 'operations' %}aria-current="page"{% endif %}>{% translate "Operations" context "worker health page" %}</a>{% endif %}
    </nav>
    {% endif %}
"""
)
NEW = (
    '{% load layout %}{% site_brand %}<div class="bar-tools">{% site_switchers %}'
    "{% site_user_menu %}</div>{% site_bell %}{% site_nav %}"
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _normal(html: str) -> str:
    html = CSRF.sub('name="csrfmiddlewaretoken" value=""', html)
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"> <", "><", html).strip()


def test_the_htmx_script_is_django_htmxs():
    for _ in range(2):  # the second from memory
        ours = engines["django"].from_string("{% load layout %}{% site_htmx_script %}").render()
        theirs = engines["django"].from_string("{% load django_htmx %}{% htmx_script %}").render()
        assert ours == theirs and "htmx" in ours


def _both(response, language: str) -> tuple[str, str]:
    context = next(c for c in response.context if "user_memberships" in c).flatten()
    with translation.override(language):
        old = engines["django"].from_string(TEMPLATE).template.render(Context(context))
        new = engines["django"].from_string(NEW).template.render(Context(context))
    return _normal(old), _normal(new)


PAGES = [
    "gallery:browse",
    "gallery:history",
    "gallery:create_image",
    "assets:index",
    "spend:usage",
    "spend:budgets",
    "accounts:team_settings",
    "home",
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("page", PAGES)
def test_an_owner_with_two_teams_sees_the_same_header(owner_a, team_b, language, page):
    Membership.objects.create(team=team_b, user=owner_a, role=Role.MEMBER)
    Membership.objects.filter(user=owner_a).update(unread_notifications=3)
    client = client_for(owner_a)
    client.cookies["django_language"] = language
    response = client.get(reverse(page) + "?q=a&x=1")
    old, new = _both(response, language)
    assert new == old
    assert "Team Borealis" in new  # the team switcher lists both teams
    assert "data-bell-count>3<" in new
    assert "?q=a&amp;x=1" in new  # the page's path, escaped, in the switchers' "next"
    # Every page of the navigation is marked current; home and budgets are not in it.
    assert ('aria-current="page"' in new) == (page not in {"home", "spend:budgets"})


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_member_and_staff_see_the_same_header(member_a, team_a, language):
    client = client_for(member_a)
    client.cookies["django_language"] = language
    old, new = _both(client.get(reverse("gallery:history")), language)
    assert new == old
    assert "operations" not in new  # a member is not shown Operations
    member_a.is_staff = True
    member_a.save()
    old, new = _both(client.get(reverse("gallery:browse")), language)
    assert new == old
    assert reverse("admin:index") in new and reverse("operations:index") in new


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_staff_without_a_team_and_a_visitor_see_the_same_header(language):
    staff = make_user("root@example.com")
    staff.is_staff = True
    staff.save()
    client = client_for(staff)
    client.cookies["django_language"] = language
    old, new = _both(client.get(reverse("operations:index")), language)
    assert new == old
    assert reverse("operations:index") in new and "<nav" not in new
    client.logout()
    client.cookies["django_language"] = language
    old, new = _both(client.get(reverse("account_login")), language)
    assert new == old
    assert "lang-switch" in new and "team-switch" not in new and "user-menu" not in new
