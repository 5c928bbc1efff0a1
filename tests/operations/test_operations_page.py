"""The operations page: a team's admins see their own team's queue, staff see the workers; the
rest get 403 (issue 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership, Role
from gallery.generation import lanes
from gallery.models import Generation, Kind, State, TeamThrottle, WorkerLoop
from tests.conftest import HTMX, client_for, make_user
from tests.html import parse

pytestmark = pytest.mark.django_db
URL = "/operations/"


def gen(team, user, state=State.QUEUED, **fields) -> Generation:
    return Generation.objects.create(
        team=team, user=user, kind=Kind.IMAGE, model="gemini-3-pro-image-preview",
        prompt=fields.pop("prompt", "a fox"), state=state, **fields,
    )  # fmt: skip


def stat(page, name: str) -> str:
    return page.find("dd", data_stat=name).words


@pytest.fixture
def staff():
    user = make_user("sam@example.com", "Sam")
    user.is_staff = True
    user.save()
    return user


def test_members_viewers_and_visitors_may_not_see_it(bob, vera, client):
    assert bob.get(URL).status_code == 403
    assert vera.get(URL).status_code == 403
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_admin_sees_the_team_queue_and_what_needs_attention(
    alice, team_a, owner_a, member_a, team_b, owner_b
):
    now = timezone.now()
    for _ in range(3):
        gen(team_a, member_a)
    gen(team_a, owner_a, State.RUNNING, next_poll_at=now - timedelta(seconds=7))
    review = gen(team_a, member_a, State.NEEDS_REVIEW, prompt="did it arrive?")
    old = gen(team_a, owner_a, State.DOWNLOADING, prompt="an old one")
    Generation.objects.filter(pk=old.pk).update(updated_at=now - timedelta(minutes=30))
    gen(team_a, owner_a, State.DONE)
    gen(team_b, owner_b, State.NEEDS_REVIEW, prompt="team B secret")
    for _ in range(5):
        gen(team_b, owner_b)

    response = alice.get(URL)
    page = parse(response.content)
    assert stat(page, "waiting") == "3"  # team B's five are not counted
    assert stat(page, "at-zcheap") == "1"
    assert stat(page, "saving") == "1"
    assert float(stat(page, "poll-lag").split()[0]) >= 7
    rows = page.find_all("tr", data_attention=True)
    assert {int(row.attrs["data-attention"]) for row in rows} == {review.pk, old.pk}
    assert "team B secret" not in response.content.decode()
    link = page.find("tr", data_attention=review.pk).find("a").attrs["href"]
    assert link == f"/history/?member={member_a.pk}&state=needs_review#gen-{review.pk}"
    assert "Stuck" in page.find("tr", data_attention=old.pk).words
    assert "Stuck" not in page.find("tr", data_attention=review.pk).words
    assert not page.find_all(data_ops_site=True)  # workers are staff business


def test_empty_states_and_the_backoff_notice(alice, team_a):
    page = parse(alice.get(URL).content)
    assert page.find_all(data_empty="team") and page.find_all(data_empty="attention")
    assert not page.find_all(data_backoff=True)
    TeamThrottle.objects.create(team=team_a, backoff_until=timezone.now() + timedelta(minutes=1))
    assert parse(alice.get(URL).content).find_all(data_backoff=True)


def test_staff_see_workers_and_the_site_without_being_in_the_team(staff, team_a, owner_a):
    lanes.beat("worker:web1:100")
    WorkerLoop.objects.create(name="worker:web2:200", run_at=timezone.now() - timedelta(hours=1))
    gen(team_a, owner_a)
    response = client_for(staff).get(URL)
    assert response.status_code == 200
    page = parse(response.content)
    rows = [row.words for row in page.find_all("tr", data_worker=True)]
    assert rows[0].startswith("web1:100") and rows[0].endswith("Alive")
    assert rows[1].startswith("web2:200") and rows[1].endswith("Silent")
    site = page.find(data_ops_site=True)
    assert not page.find_all(data_ops_team=True)
    assert "Team Aurora" not in response.content.decode()  # counts, not a tenant's tasks
    assert stat(site, "waiting") == "1"


def test_staff_who_are_admins_see_both(staff, team_a):
    Membership.objects.create(team=team_a, user=staff, role=Role.ADMIN)
    page = parse(client_for(staff).get(URL).content)
    assert page.find_all(data_ops_site=True) and page.find_all(data_ops_team=True)


def test_staff_without_workers_get_an_empty_state(staff):
    page = parse(client_for(staff).get(URL).content)
    assert page.find_all(data_empty="workers")


def test_htmx_refresh_returns_the_panel_only(alice):
    response = alice.get(URL, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="ops-panel"') and "<html" not in body


def test_chinese_page(alice, team_a):
    response = alice.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "等待发送" in response.content.decode()


def test_a_task_waiting_behind_others_is_not_stuck_but_one_with_nothing_moving_is(
    alice, team_a, owner_a
):
    long_ago = timezone.now() - timedelta(minutes=30)
    waiting = gen(team_a, owner_a)
    Generation.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    moving = gen(team_a, owner_a, State.RUNNING, submitted_at=timezone.now())
    page = parse(alice.get(URL).content)
    assert not page.find_all("tr", data_attention=waiting.pk)  # the team is sending: its turn comes
    Generation.objects.filter(pk=moving.pk).update(submitted_at=long_ago)
    row = parse(alice.get(URL).content).find("tr", data_attention=waiting.pk)
    assert "Stuck" in row.words  # nothing sent for 30 minutes: the worker may be down
