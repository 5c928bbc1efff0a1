"""Parallel submits against PostgreSQL never pass a budget (issue 14: "prove it")."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from gallery.generation import NewGeneration, create_generations
from gallery.models import Generation
from spend import BudgetExceeded
from spend.models import Budget, Charge
from spend.prices import prices_for
from tests.conftest import make_user
from tests.spend.conftest import IMAGE, PRO_MICROS, set_budget

pytestmark = pytest.mark.django_db(transaction=True)


def _race(team, users, per_thread: int, threads_per_user: int) -> tuple[int, int]:
    barrier = threading.Barrier(len(users) * threads_per_user)
    outcome = {"ok": 0, "refused": 0}
    lock = threading.Lock()

    def submit(user) -> None:
        new = [NewGeneration(kind="image", model=IMAGE["model"], prompt="fox")] * per_thread
        barrier.wait()
        try:
            create_generations(team, user, new)
            key = "ok"
        except BudgetExceeded:
            key = "refused"
        finally:
            connection.close()
        with lock:
            outcome[key] += 1

    threads = [
        threading.Thread(target=submit, args=(user,))
        for user in users
        for _n in range(threads_per_user)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome["ok"], outcome["refused"]


@pytest.fixture
def pg():
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL's row locks (SQLite serialises writers anyway)")


def test_parallel_submits_of_one_member_never_pass_the_member_budget(pg, team_a, member_a):
    prices_for(team_a)
    set_budget(team_a, member_a, usd=1.0)  # room for 7 images of 0.134
    ok, refused = _race(team_a, [member_a], per_thread=1, threads_per_user=16)
    assert (ok, refused) == (7, 9)
    assert Generation.objects.count() == 7 == Charge.objects.count()
    assert Budget.objects.get(user=member_a).spent_micros == 7 * PRO_MICROS


def test_parallel_batches_of_many_members_never_pass_the_team_budget(pg, team_a, member_a):
    from accounts.models import Membership, Role

    people = [member_a]
    for n in range(3):
        person = make_user(f"racer{n}@example.com")
        Membership.objects.create(team=team_a, user=person, role=Role.MEMBER)
        people.append(person)
    prices_for(team_a)
    set_budget(team_a, None, usd=2.0)  # room for 14 images: 4 batches of 3 fit, a 5th does not
    ok, refused = _race(team_a, people, per_thread=3, threads_per_user=3)
    assert ok == 4 and refused == 8
    assert Generation.objects.count() == 12  # whole batches only
    team_row = Budget.objects.get(team=team_a, user=None)
    assert team_row.spent_micros == 12 * PRO_MICROS <= team_row.limit_micros
    members = Budget.objects.filter(team=team_a, user__isnull=False)
    assert sum(b.spent_micros for b in members) == team_row.spent_micros
