"""The audit log page and its CSV export: who may see them, filters, pages, formula-safe CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

import audit
from accounts.models import Membership, Role
from audit.filters import cursor_of, parse_cursor
from audit.models import AuditEvent
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _at(event: AuditEvent, when) -> None:
    """Move EVENT in time (tests only: the app has no way to change an event)."""
    QuerySet.update(AuditEvent.objects.filter(pk=event.pk), created_at=when)


# Who sees it ----------------------------------------------------------------------------------


def test_owners_and_admins_see_the_log(alice, bob, member_a, owner_a, team_a):
    audit.record(team_a, owner_a, "role.changed", "x@example.com", before={"role": "member"})
    assert "x@example.com" in alice.get("/team/audit/").content.decode()
    Membership.objects.filter(user=member_a).update(role=Role.ADMIN)
    page = bob.get("/team/audit/")
    assert page.status_code == 200 and "x@example.com" in page.content.decode()
    assert bob.get("/team/audit/export.csv").status_code == 200


@pytest.mark.parametrize("url", ["/team/audit/", "/team/audit/export.csv"])
def test_members_and_viewers_are_refused(bob, vera, url, team_a, owner_a):
    audit.record(team_a, owner_a, "team.renamed", "secret-target")
    for client in (bob, vera):
        response = client.get(url)
        assert response.status_code == 403
        assert b"secret-target" not in b"".join(getattr(response, "streaming_content", [])) + (
            response.content if not response.streaming else b""
        )


@pytest.mark.parametrize("url", ["/team/audit/", "/team/audit/export.csv"])
def test_anonymous_people_are_sent_to_log_in(url):
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    htmx = Client().get(url, **HTMX, HTTP_HX_CURRENT_URL="http://testserver/team/")
    assert "/accounts/login/" in htmx["HX-Redirect"]


def test_an_outsider_sees_only_their_own_teams_log(olga, team_a, owner_a, team_b, owner_b):
    audit.record(team_a, owner_a, "team.renamed", "aurora-secret")
    audit.record(team_b, owner_b, "team.renamed", "borealis-own")
    page = olga.get("/team/audit/").content.decode()
    assert "borealis-own" in page and "aurora-secret" not in page
    rows = _csv(olga.get("/team/audit/export.csv"))
    assert [r[4] for r in rows[1:]] == ["borealis-own"]
    # Team A's people cannot be used as a filter either.
    page = olga.get(f"/team/audit/?person={owner_a.pk}").content.decode()
    assert "borealis-own" in page and "aurora-secret" not in page


def test_the_team_page_links_to_it_for_admins_only(alice, bob):
    assert 'href="/team/audit/"' in alice.get("/team/").content.decode()
    assert 'href="/team/audit/"' not in bob.get("/team/").content.decode()


def test_the_page_changes_nothing(alice, team_a, owner_a):
    audit.record(team_a, owner_a, "team.renamed", "x")
    assert alice.post("/team/audit/").status_code == 405
    assert alice.delete("/team/audit/").status_code == 405
    assert AuditEvent.objects.count() == 1


# What it shows --------------------------------------------------------------------------------


def test_before_and_after_read_as_words(alice, team_a, owner_a):
    audit.record(
        team_a,
        owner_a,
        "role.changed",
        "bob@example.com",
        before={"role": "member"},
        after={"role": "admin"},
    )
    page = alice.get("/team/audit/").content.decode()
    assert "Role changed" in page
    assert "<del>Member</del> → <ins>Admin</ins>" in page
    assert "by alice@example.com" in page


def test_an_unknown_kind_shows_under_its_own_name(alice, team_a):
    audit.record(team_a, None, "webhook.exploded", "hook 7", after={"weird": [1, 2], "x": None})
    page = alice.get("/team/audit/").content.decode()
    assert "webhook.exploded" in page and "unknown kind" in page
    assert "hook 7" in page and "weird" in page and "by System" in page


def test_another_apps_kind_uses_its_label_and_joins_the_filter(alice, team_a):
    audit.register_kinds({"budget.changed": "Budget changed"})
    audit.record(team_a, None, "budget.changed", "monthly", before={"cap": 10}, after={"cap": 20})
    page = alice.get("/team/audit/").content.decode()
    assert "Budget changed" in page and "unknown kind" not in page
    assert '<option value="budget.changed"' in page


def test_it_shows_in_chinese(alice, team_a, owner_a):
    audit.record(team_a, owner_a, "role.changed", "b@example.com", before={"role": "member"})
    page = alice.get("/team/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "审计日志" in page and "角色" in page


def test_a_removed_persons_events_stay_with_their_address(alice, team_a, member_a):
    audit.record(team_a, member_a, "gallery.deleted", "#1", after={"count": 1, "items": [1]})
    member_a.delete()
    event = AuditEvent.objects.get()
    assert event.actor is None and event.actor_label == "bob@example.com"
    assert "by bob@example.com" in alice.get("/team/audit/").content.decode()


# Filters ------------------------------------------------------------------------------------


@pytest.fixture
def mixed_log(team_a, owner_a, member_a):
    now = timezone.now()
    events = [
        audit.record(team_a, owner_a, "role.changed", "t-role"),
        audit.record(team_a, member_a, "gallery.deleted", "t-deleted"),
        audit.record(team_a, None, "gallery.purged", "t-purged", actor_label="purge_trash"),
        audit.record(team_a, owner_a, "team.renamed", "t-old"),
    ]
    _at(events[3], now - timedelta(days=10))
    return events


def _targets(client, query: str) -> list[str]:
    page = client.get("/team/audit/?" + query).content.decode()
    return [t for t in ("t-role", "t-deleted", "t-purged", "t-old") if t in page]


def test_filter_by_person(alice, mixed_log, member_a):
    assert _targets(alice, f"person={member_a.pk}") == ["t-deleted"]
    assert _targets(alice, "person=system") == ["t-purged"]


def test_people_who_left_stay_in_the_person_filter(alice, mixed_log, team_a, member_a):
    """Bob leaves (his account stays), Carol's account is deleted: both remain choosable by the
    address their events recorded, and the filter shows exactly their events."""
    from tests.conftest import make_user

    carol = make_user("carol@example.com", "Carol")
    Membership.objects.create(team=team_a, user=carol, role=Role.MEMBER)
    audit.record(team_a, carol, "gallery.deleted", "t-carol")
    Membership.objects.filter(user=member_a).delete()
    carol.delete()
    page = alice.get("/team/audit/").content.decode()
    assert "bob@example.com (not in the team now)" in page
    assert "carol@example.com (not in the team now)" in page
    assert "purge_trash (not in the team now)" not in page  # commands: "System"
    assert _targets(alice, "person=bob@example.com") == ["t-deleted"]
    carols = alice.get("/team/audit/?person=carol@example.com").content.decode()
    assert "t-carol" in carols and "t-deleted" not in carols and "t-role" not in carols


def test_the_person_filter_lists_each_person_once_in_few_queries(alice, team_a, owner_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(30):
        audit.record(team_a, owner_a, "role.changed", f"t{n}")
    for email in ("gone1@example.com", "gone2@example.com"):
        for _n in range(5):
            audit.record(team_a, None, "member.removed", "x", actor_label=email)
    with CaptureQueriesContext(connection) as queries:
        page = alice.get("/team/audit/").content.decode()
    assert page.count("gone1@example.com (not in the team now)") == 1
    assert page.count("alice@example.com (not in the team now)") == 0  # a member
    assert len([q for q in queries.captured_queries if "RECURSIVE" in q["sql"]]) == 1


def test_filter_by_kind(alice, mixed_log):
    assert _targets(alice, "kind=role.changed") == ["t-role"]


def test_filter_by_dates(alice, mixed_log):
    today = timezone.localdate()
    old = (today - timedelta(days=10)).isoformat()
    assert _targets(alice, f"until={old}") == ["t-old"]
    assert _targets(alice, f"since={today.isoformat()}") == ["t-role", "t-deleted", "t-purged"]
    assert _targets(alice, f"since={old}&until={old}") == ["t-old"]


@pytest.mark.parametrize(
    "query",
    [
        "since=yesterday",
        "until=2026-13-45",
        "person=999999",
        "person=abc",
        "kind=no.such.kind",
        "person=system&kind=" + "x" * 500,
        "before=abc",
        "before=99999999999999999999999_1",
        "before=1_",
        "since=2026-05-02&until=2026-05-01",
    ],
)
def test_bad_filters_never_fail(alice, mixed_log, query):
    response = alice.get("/team/audit/?" + query)
    assert response.status_code == 200
    assert alice.get("/team/audit/export.csv?" + query).status_code == 200


def test_a_reversed_date_range_says_so(alice, mixed_log):
    page = alice.get("/team/audit/?since=2026-05-02&until=2026-05-01").content.decode()
    assert "The end date is before the start date." in page


def test_the_export_follows_the_filters(alice, mixed_log):
    rows = _csv(alice.get("/team/audit/export.csv?kind=gallery.purged"))
    assert rows[0][:3] == ["Time (UTC)", "Person", "Kind"]
    assert [r[4] for r in rows[1:]] == ["t-purged"]
    assert rows[1][1] == "purge_trash"


# Pages ----------------------------------------------------------------------------------------


def test_keyset_pages_walk_every_event_once_newest_first(alice, team_a, owner_a):
    when = timezone.now()
    events = [audit.record(team_a, owner_a, "team.renamed", f"n{i:03d}") for i in range(120)]
    for i, event in enumerate(events):  # some share a timestamp: the id breaks the tie
        _at(event, when - timedelta(seconds=i // 3))
    seen, query = [], ""
    for _ in range(5):
        response = alice.get("/team/audit/?" + query)
        seen += [e.target for e in response.context["events"]]
        if not response.context["older_query"]:
            break
        query = response.context["older_query"]
    expected = [
        e.target for e in AuditEvent.objects.filter(team=team_a).order_by("-created_at", "-pk")
    ]
    assert seen == expected and len(seen) == 120


def test_cursor_round_trip():
    event = AuditEvent(pk=42, created_at=timezone.now())
    assert parse_cursor(cursor_of(event)) == (event.created_at, 42)


# CSV --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("danger", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(alice, team_a, owner_a, danger):
    team_a.name = danger
    audit.record(team_a, owner_a, "team.renamed", danger, after={"name": danger})
    (row,) = _csv(alice.get("/team/audit/export.csv"))[1:]
    assert row[4] == "'" + danger
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in row)


def test_csv_is_streamed_and_carries_everything(alice, team_a, owner_a):
    for i in range(3):
        audit.record(team_a, owner_a, "role.changed", f"p{i}", before={"role": "member"})
    response = alice.get("/team/audit/export.csv")
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) == 4
    assert rows[1][1:5] == ["alice@example.com", "role.changed", "Role changed", "p2"]
    assert rows[1][5] == '{"role": "member"}'


def test_the_export_reads_in_chunks_without_losing_or_repeating_a_row(
    alice, team_a, owner_a, monkeypatch
):
    from audit import views

    monkeypatch.setattr(views, "EXPORT_CHUNK", 2)
    when = timezone.now()
    events = [audit.record(team_a, owner_a, "team.renamed", f"c{i}") for i in range(5)]
    for event in events:
        _at(event, when)  # one timestamp for all: only the id orders them
    rows = _csv(alice.get("/team/audit/export.csv"))
    assert [r[4] for r in rows[1:]] == ["c4", "c3", "c2", "c1", "c0"]


def test_the_page_costs_the_same_queries_for_1_or_50_events(alice, team_a, owner_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    audit.record(team_a, owner_a, "role.changed", "one", before={"role": "member"})
    alice.get("/team/audit/")  # warm the session
    with CaptureQueriesContext(connection) as one:
        alice.get("/team/audit/")
    for i in range(60):
        audit.record(team_a, owner_a, "role.changed", f"n{i}", before={"role": "member"})
    with CaptureQueriesContext(connection) as many:
        response = alice.get("/team/audit/")
    assert len(response.context["events"]) == 50
    assert len(many) == len(one)


def test_csv_keeps_chinese_as_characters_and_empty_as_empty(alice, team_a, owner_a):
    audit.record(team_a, owner_a, "team.renamed", "极光", before={"name": "极光团队"})
    (row,) = _csv(alice.get("/team/audit/export.csv"))[1:]
    assert row[4] == "极光" and "极光团队" in row[5] and row[6] == ""
