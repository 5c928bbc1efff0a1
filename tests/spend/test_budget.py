"""Budgets: reserved at submit in one conditional UPDATE, all or nothing; settled once."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gallery.models import Generation, Kind, State
from notifications.events import budget_threshold
from spend.models import Budget, Charge, ChargeSource, ChargeStatus
from tests.conftest import HTMX
from tests.factories import make_generation, make_item
from tests.spend.conftest import IMAGE, PRO_MICROS, set_budget, spent

pytestmark = pytest.mark.django_db


def create(client, **changes):
    return client.post("/create/image/", {**IMAGE, **changes})


def test_a_submit_records_its_estimate_and_counts_it_in_both_budgets(bob, team_a, member_a):
    assert create(bob).status_code == 302
    charge = Charge.objects.get()
    assert charge.estimated_micros == PRO_MICROS and charge.status == ChargeStatus.RESERVED
    assert charge.user == member_a and charge.billing_model == "gemini-3-pro-image-preview"
    assert spent(team_a) == PRO_MICROS and spent(team_a, member_a) == PRO_MICROS


def test_a_member_over_budget_is_refused_with_who_can_raise_it(bob, team_a, member_a, owner_a):
    set_budget(team_a, member_a, usd=0.2)
    assert create(bob).status_code == 302
    response = create(bob)
    assert response.status_code == 400
    text = response.content.decode()
    assert "over your monthly budget" in text and "Alice" in text
    assert Generation.objects.count() == 1 and spent(team_a, member_a) == PRO_MICROS


def test_the_team_budget_refuses_everyone(bob, alice, team_a, member_a, owner_a):
    set_budget(team_a, None, usd=0.3)
    assert create(alice).status_code == 302
    assert create(bob).status_code == 302
    response = create(bob)
    assert (
        "team&#x27;s monthly budget" in response.content.decode()
        or "team's monthly budget" in response.content.decode()
    )
    assert Generation.objects.count() == 2


def test_several_pictures_are_reserved_all_or_nothing(bob, team_a, member_a):
    set_budget(team_a, member_a, usd=0.3)
    response = bob.post("/create/image/", {**IMAGE, "count": "3"})  # 0.402 > 0.3
    assert response.status_code == 400
    assert not Generation.objects.exists() and not Charge.objects.exists()
    assert spent(team_a, member_a) == 0
    assert bob.post("/create/image/", {**IMAGE, "count": "2"}).status_code == 302
    assert Generation.objects.count() == 2 and spent(team_a, member_a) == 2 * PRO_MICROS


def test_a_top_up_lets_the_member_go_on_this_month(bob, team_a, member_a):
    set_budget(team_a, member_a, usd=0.1)
    assert create(bob).status_code == 400
    set_budget(team_a, member_a, usd=0.1, topup=0.1)
    assert create(bob).status_code == 302


def test_a_new_month_starts_from_zero_and_drops_last_months_top_up(bob, team_a, member_a):
    row = set_budget(team_a, member_a, usd=0.2, topup=5)
    Budget.objects.filter(pk=row.pk).update(spent_micros=150_000, month=datetime.date(2020, 1, 1))
    assert create(bob).status_code == 302
    row.refresh_from_db()
    assert row.spent_micros == PRO_MICROS and row.topup_micros == 0
    assert row.month == datetime.date.today().replace(day=1) or row.month.day == 1


def test_mj_actions_are_checked_too(bob, team_a, member_a, owner_a):
    done = make_generation(team_a, member_a, kind=Kind.MIDJOURNEY, prompt="fox --fast")
    for index in range(4):
        make_item(done, index)
    set_budget(team_a, member_a, usd=0.03)  # an upscale of a --fast job costs 0.04
    response = bob.post(f"/tasks/{done.pk}/mj/", {"do": "upscale:1"}, **HTMX)
    assert "over your monthly budget" in response.content.decode()
    assert response["HX-Reswap"] == "none"  # no card is added
    assert Generation.objects.count() == 1


def test_an_mj_action_is_priced_with_its_parents_speed(bob, team_a, member_a):
    done = make_generation(team_a, member_a, kind=Kind.MIDJOURNEY, prompt="fox --fast")
    for index in range(4):
        make_item(done, index)
    assert bob.post(f"/tasks/{done.pk}/mj/", {"do": "upscale:2"}, **HTMX).status_code == 200
    charge = Charge.objects.get(generation__action="upscale")
    assert charge.estimated_micros == 40_000  # mj_upscale 0.02 × 2 (--fast on the parent)


def test_again_over_budget_says_so_and_starts_nothing(bob, team_a, member_a):
    failed = make_generation(team_a, member_a, state=State.FAILED)
    set_budget(team_a, member_a, usd=0.1)
    response = bob.post(f"/tasks/{failed.pk}/again/", **HTMX)
    assert "over your monthly budget" in response.content.decode()
    assert Generation.objects.count() == 1


def test_the_budget_check_is_one_query(bob, team_a, member_a, owner_a):
    """Rows exist (members got theirs when they joined): the reservation is one statement (the
    UPDATE, or on PostgreSQL the function that locks the rows and runs it)."""
    from spend import reserve
    from spend.prices import prices_for

    prices_for(team_a)  # the price list is read once, before
    set_budget(team_a, None, usd=10)
    generation = Generation(team=team_a, user=member_a, kind="image", model=IMAGE["model"])
    with CaptureQueriesContext(connection) as queries:
        reserve(team_a, member_a, [generation])
    updates = [q["sql"] for q in queries.captured_queries if "spend_budget" in q["sql"]]
    statement = "spend_budget_reserve(" if connection.vendor == "postgresql" else "UPDATE spend_"
    assert len(updates) == 1 and statement in updates[0]
    assert Budget.objects.get(team=team_a, user=None).spent_micros == PRO_MICROS
    # and nothing else but reading the cached price list
    assert len(queries.captured_queries) == 2


def finish(generation: Generation, state: str, **fields) -> None:
    generation.refresh_from_db()
    generation.transition(generation.state, state, **fields)


def test_a_finished_task_is_charged_its_amount_once(bob, team_a, member_a):
    set_budget(team_a, member_a, usd=10)
    create(bob)
    generation = Generation.objects.get()
    finish(generation, State.DONE, remote_id="task_x", amount_usd="0.2")
    charge = Charge.objects.get()
    assert charge.status == ChargeStatus.CHARGED and charge.charged_micros == 200_000
    assert charge.source == ChargeSource.AMOUNT
    assert spent(team_a, member_a) == 200_000 and spent(team_a) == 200_000
    from spend.budget import settle

    settle(generation)  # a second delivery of the same news changes nothing
    assert spent(team_a, member_a) == 200_000


def test_without_amount_the_price_list_and_usage_price_it(bob, team_a, member_a):
    create(bob)
    generation = Generation.objects.get()
    finish(generation, State.DONE, remote_id="task_x")
    charge = Charge.objects.get()
    assert charge.source == ChargeSource.PRICE_LIST and charge.charged_micros == PRO_MICROS


def test_a_failed_task_is_refund_expected_and_frees_the_budget(bob, team_a, member_a):
    create(bob)
    generation = Generation.objects.get()
    Generation.objects.filter(pk=generation.pk).update(remote_id="task_y", state=State.RUNNING)
    finish(generation, State.FAILED)
    charge = Charge.objects.get()
    assert charge.status == ChargeStatus.REFUND_EXPECTED and charge.charged_micros == PRO_MICROS
    assert spent(team_a, member_a) == 0


def test_a_task_refused_before_zcheap_took_it_was_never_charged(bob, team_a, member_a):
    create(bob)
    generation = Generation.objects.get()
    finish(generation, State.FAILED)
    assert Charge.objects.get().status == ChargeStatus.NOT_CHARGED
    assert spent(team_a, member_a) == 0


def test_crossing_80_and_100_percent_announces_once_each(bob, team_a, member_a):
    set_budget(team_a, member_a, usd=0.3)
    heard = []

    def listen(sender, **kwargs):
        heard.append((kwargs["kind"], kwargs["percent"]))

    budget_threshold.connect(listen)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("django.db.transaction.on_commit", lambda f, *a, **k: f())
            create(bob)  # 0.134: 44 %
            create(bob)  # 0.268: 89 % → 80 % crossed
            assert heard == [("member", 80)]
            assert create(bob).status_code == 400  # would be 134 %: refused, nothing announced
            assert heard == [("member", 80)]
    finally:
        budget_threshold.disconnect(listen)


def test_unknown_prices_refuse_only_where_a_budget_is_set(bob, team_a, member_a, settings):
    from gallery.generation import simulator_runtime
    from zcheap.simulator import SimConfig

    original = simulator_runtime.demo_config

    def down():
        config = original()
        return SimConfig(**{**config.__dict__, "pricing_down": True})

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(simulator_runtime, "demo_config", down)
        assert create(bob).status_code == 302  # no budget: it goes, its cost is unknown
        assert Charge.objects.get().estimated_micros is None
        set_budget(team_a, member_a, usd=5)
        response = create(bob)
    assert response.status_code == 400
    assert "price list could not be read" in response.content.decode()


def test_a_lost_settle_is_caught_up_by_the_refresh(bob, team_a, member_a):
    from spend.tasks import refresh_team

    create(bob)
    generation = Generation.objects.get()
    Generation.objects.filter(pk=generation.pk).update(state=State.DONE, remote_id="task_q")
    assert Charge.objects.get().status == ChargeStatus.RESERVED  # no transition, no receiver
    refresh_team(team_a)
    charge = Charge.objects.get()
    assert charge.status == ChargeStatus.CHARGED and charge.charged_micros == PRO_MICROS


def test_a_batch_over_budget_starts_nothing_and_says_why(bob, team_a, member_a, owner_a):
    """A batch reserves its tasks all or nothing: over budget, no task, no batch, no 500."""
    from presets.models import Batch
    from tests.presets.test_batches import FORM

    set_budget(team_a, member_a, usd=0.3)  # two Pro images fit, six do not
    data = {
        **FORM,
        "model": IMAGE["model"],
        "batch_prompts": "fox\nwhale\nfrog",
        "batch_variants": "2",
    }
    response = bob.post("/batches/new/", data)
    assert response.status_code == 400
    assert "over your monthly budget" in response.content.decode()
    assert not Generation.objects.exists() and not Batch.objects.exists()
    assert spent(team_a, member_a) == 0


def test_a_batch_preview_shows_its_estimated_total_against_the_budget(bob, team_a, member_a):
    from tests.presets.test_batches import FORM

    data = {
        **FORM,
        "model": IMAGE["model"],
        "batch_prompts": "fox\nwhale\nfrog",
        "batch_variants": "2",
    }
    page = bob.post("/batches/check/", data, **HTMX).content.decode()
    assert "data-batch-cost" in page and "$0.804" in page  # 6 × 0.134
    assert "data-budget-note" not in page
    set_budget(team_a, member_a, usd=0.5)
    page = bob.post("/batches/check/", data, **HTMX).content.decode()
    assert 'data-budget-note="member"' in page and "over your monthly budget" in page
