"""The pages: price hints, budgets (admins), the usage page and CSV, charged-but-failed."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail

from audit.models import AuditEvent
from gallery.models import Generation, Kind, State
from spend.models import Budget, Charge, ChargeStatus, SpendAccount
from tests.conftest import HTMX
from tests.factories import make_generation, make_item
from tests.spend.conftest import IMAGE, PRO_MICROS, set_budget

pytestmark = pytest.mark.django_db


def hint(client, **params):
    return client.get("/spend/estimate/", params, **HTMX).content.decode()


class TestPriceHint:
    def test_the_image_form_shows_the_price_of_each_choice(self, bob):
        assert "≈ $0.134<" in hint(bob, kind="image", model=IMAGE["model"], count=1)
        assert "≈ $0.402<" in hint(bob, kind="image", model=IMAGE["model"], count=3)
        flash = hint(bob, kind="image", model="gemini-3.1-flash-image-preview")
        assert "$0.067" in flash

    def test_mj_speed_doubles_or_halves(self, bob):
        assert "$0.04" in hint(bob, kind="mj", prompt="a fox")
        assert "$0.08" in hint(bob, kind="mj", prompt="a fox", speed="turbo")
        assert "$0.02" in hint(bob, kind="mj", prompt="a fox --draft")
        assert "$0.04" in hint(bob, kind="mj", mode="blend")

    def test_a_video_is_labelled_as_an_estimate(self, bob):
        text = hint(bob, kind="video", model="ima-pro", duration=10, resolution="1080p")
        assert "$1.40" in text and "typical usage" in text

    def test_the_create_page_loads_the_hint_with_the_form(self, bob):
        page = bob.get("/create/image/").content.decode()
        assert 'hx-post="/spend/estimate/?kind=image"' in page and "data-price-hint" in page

    def test_a_long_chinese_prompt_is_posted_not_put_in_the_url(self, bob):
        prompt = "一只在雪地里的红狐狸 " * 300 + "--turbo"
        response = bob.post("/spend/estimate/?kind=mj", {"prompt": prompt}, **HTMX)
        assert "≈ $0.08" in response.content.decode()

    def test_the_hint_changes_nothing(self, bob):
        bob.post("/spend/estimate/?kind=image", {"model": IMAGE["model"], "count": "4"}, **HTMX)
        assert not Generation.objects.exists() and not Charge.objects.exists()

    def test_prices_unknown_is_said_never_guessed(self, bob, monkeypatch):
        from gallery.generation import simulator_runtime
        from zcheap.simulator import SimConfig

        original = simulator_runtime.demo_config
        monkeypatch.setattr(
            simulator_runtime,
            "demo_config",
            lambda: SimConfig(**{**original().__dict__, "pricing_down": True}),
        )
        text = hint(bob, kind="image", model=IMAGE["model"])
        assert "Prices unknown" in text and "$" not in text

    def test_a_member_near_the_budget_is_warned_and_told_when_it_will_not_fit(
        self, bob, team_a, member_a, owner_a
    ):
        set_budget(team_a, member_a, usd=0.3)
        bob.post("/create/image/", IMAGE)
        bob.post("/create/image/", IMAGE)  # 0.268 of 0.3: 89 %
        text = hint(bob, kind="image", model=IMAGE["model"])
        assert "over your monthly budget" in text and "Alice" in text
        text = hint(bob, kind="mj", prompt="fox --draft")  # 0.02 still fits
        assert "You have used 89 % of your monthly budget" in text

    def test_mj_action_prices_use_the_parents_speed(self, bob, team_a, member_a):
        done = make_generation(team_a, member_a, kind=Kind.MIDJOURNEY, prompt="fox --fast")
        make_item(done)
        text = bob.get(f"/spend/mj/{done.pk}/", **HTMX).content.decode()
        assert "Upscale ≈ $0.04" in text and "Reroll ≈ $0.08" in text

    def test_the_hint_is_in_chinese_too(self, bob):
        bob.cookies["django_language"] = "zh-hans"
        text = bob.get(
            "/spend/estimate/",
            {"kind": "video", "model": "ima-pro"},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        ).content.decode()
        assert "$0.40" in text and "typical usage" not in text


class TestBudgetsPage:
    def test_members_cannot_open_it(self, bob):
        assert bob.get("/team/budgets/").status_code == 403

    def test_an_admin_sets_the_team_budget_default_and_threshold_with_an_audit_event(
        self, alice, team_a
    ):
        response = alice.post(
            "/team/budgets/team/",
            {"team_budget": "20", "member_default": "5", "balance_threshold": "10"},
        )
        assert response.status_code == 302
        assert Budget.objects.get(team=team_a, user=None).limit_micros == 20_000_000
        account = SpendAccount.objects.get(team=team_a)
        assert account.member_default_micros == 5_000_000
        assert account.balance_threshold_micros == 10_000_000
        event = AuditEvent.objects.get(kind="budget.settings")
        assert event.after["team_budget"] == "20"

    def test_new_members_start_at_the_default(self, alice, team_a):
        alice.post("/team/budgets/team/", {"member_default": "3"})
        from accounts.models import Membership, Role
        from tests.conftest import make_user

        newcomer = make_user("new@example.com")
        Membership.objects.create(team=team_a, user=newcomer, role=Role.MEMBER)
        assert Budget.objects.get(team=team_a, user=newcomer).limit_micros == 3_000_000

    def test_an_admin_raises_a_members_budget_and_grants_a_top_up(self, alice, team_a, member_a):
        from accounts.models import Membership

        membership = Membership.objects.get(user=member_a)
        alice.post(f"/team/budgets/{membership.pk}/", {"budget": "1.5"})
        assert Budget.objects.get(user=member_a).limit_micros == 1_500_000
        alice.post(f"/team/budgets/{membership.pk}/topup/", {"amount": "0.5"})
        alice.post(f"/team/budgets/{membership.pk}/topup/", {"amount": "0.25"})
        row = Budget.objects.get(user=member_a)
        assert row.topup_micros == 750_000 and row.allowed_micros == 2_250_000
        kinds = list(AuditEvent.objects.values_list("kind", flat=True).order_by("pk"))
        assert kinds == ["budget.changed", "budget.topup", "budget.topup"]

    def test_bad_amounts_are_refused_with_a_message(self, alice, team_a, member_a):
        from accounts.models import Membership

        membership = Membership.objects.get(user=member_a)
        for bad in ("-1", "abc", "1e400", "0"):
            response = alice.post(
                f"/team/budgets/{membership.pk}/topup/", {"amount": bad}, follow=True
            )
            assert response.status_code == 200
        assert not Budget.objects.filter(user=member_a, topup_micros__gt=0).exists()
        response = alice.post("/team/budgets/team/", {"team_budget": "-3"})
        assert response.status_code == 400

    def test_an_admin_cannot_limit_an_owner(self, team_a, owner_a):
        from accounts.models import Membership, Role
        from tests.conftest import client_for, make_user

        admin = make_user("adam@example.com")
        Membership.objects.create(team=team_a, user=admin, role=Role.ADMIN)
        owner = Membership.objects.get(user=owner_a)
        response = client_for(admin).post(f"/team/budgets/{owner.pk}/", {"budget": "0"})
        assert response.status_code == 404
        assert not Budget.objects.filter(user=owner_a, limit_micros=0).exists()

    def test_the_page_shows_the_balance_after_a_refresh(self, alice, team_a):
        response = alice.post("/team/budgets/refresh/", follow=True)
        text = response.content.decode()
        assert "$50.00" in text  # the demo simulator's balance (ZCHEAP_DEMO_BALANCE_USD)
        assert "data-balance-chip" in text  # the header shows it to admins

    def test_the_header_shows_a_new_balance_at_once_and_costs_no_query_between(self, alice, team_a):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from gallery.generation import simulator_runtime
        from zcheap.simulator.state import State as SimState

        alice.post("/team/budgets/refresh/")
        assert "Balance $50.00" in alice.get("/").content.decode()
        with CaptureQueriesContext(connection) as queries:
            assert "Balance $50.00" in alice.get("/").content.decode()
        assert not [q for q in queries.captured_queries if "spend_spendaccount" in q["sql"]]
        # Topped up at Zcheap; the worker's refresh (another process) reads it: the next page
        # shows it, although this process's memory still holds the old row.
        state = SimState(simulator_runtime.demo_config().state_path)
        state.set_limit(simulator_runtime.demo_key(team_a), 80)
        from spend.tasks import refresh_team

        refresh_team(team_a)
        assert "Balance $80.00" in alice.get("/").content.decode()
        # A new threshold above the balance: the banner shows on the next page too.
        alice.post("/team/budgets/team/", {"balance_threshold": "90"})
        assert "data-low-balance" in alice.get("/").content.decode()

    def test_members_never_see_the_balance(self, alice, bob, team_a):
        alice.post("/team/budgets/refresh/")
        assert "data-balance-chip" not in bob.get("/").content.decode()


class TestLowBalance:
    def test_one_email_per_crossing_and_a_banner(
        self, alice, team_a, owner_a, django_capture_on_commit_callbacks
    ):
        from gallery.generation import simulator_runtime
        from spend.tasks import refresh_team

        alice.post("/team/budgets/team/", {"balance_threshold": "49.9"})
        from zcheap.simulator.state import State as SimState

        state = SimState(simulator_runtime.demo_config().state_path)
        from gallery.generation import worker

        alice.post("/create/image/", IMAGE)
        worker.submit_one(Generation.objects.get().pk)  # 0.134 charged: 49.866 left < 49.9
        with django_capture_on_commit_callbacks(execute=True):
            refresh_team(team_a)
            refresh_team(team_a)
        assert len(mail.outbox) == 1 and "low" in mail.outbox[0].subject.lower()
        assert mail.outbox[0].to == ["alice@example.com"]
        assert "data-low-balance" in alice.get("/").content.decode()
        state.set_limit(simulator_runtime.demo_key(team_a), 100)  # topped up: above again
        refresh_team(team_a)
        assert "data-low-balance" not in alice.get("/").content.decode()
        state.set_limit(simulator_runtime.demo_key(team_a), 50)  # and below once more
        with django_capture_on_commit_callbacks(execute=True):
            refresh_team(team_a)
        assert len(mail.outbox) == 2


def _charged(team, user, state=State.DONE, micros=PRO_MICROS, status=ChargeStatus.CHARGED, **kw):
    generation = make_generation(team, user, state=state, **kw)
    return Charge.objects.create(
        generation=generation,
        team=team,
        user=user,
        kind=generation.kind,
        model=generation.model,
        estimated_micros=micros,
        charged_micros=micros,
        status=status,
    )


class TestUsage:
    def test_members_see_their_own_admins_everyones(self, alice, bob, team_a, owner_a, member_a):
        _charged(team_a, owner_a, micros=1_000_000)
        _charged(team_a, member_a, micros=250_000)
        mine = bob.get("/usage/").content.decode()
        assert "$0.25" in mine and "$1.25" not in mine and "Per member" not in mine
        everyone = alice.get("/usage/").content.decode()
        assert "$1.25" in everyone and "Per member" in everyone and "<svg" in everyone
        only_bob = alice.get("/usage/", {"member": member_a.pk}).content.decode()
        assert "$0.25" in only_bob and "$1.25" not in only_bob

    def test_a_member_cannot_peek_at_another_member(self, bob, team_a, owner_a, member_a):
        _charged(team_a, owner_a, micros=1_000_000)
        text = bob.get("/usage/", {"member": owner_a.pk}).content.decode()
        assert "$1.00" not in text

    def test_refunded_tasks_count_nothing(self, alice, team_a, owner_a):
        _charged(
            team_a, owner_a, micros=1_000_000, state=State.FAILED, status=ChargeStatus.REFUNDED
        )
        assert "$0.00" in alice.get("/usage/").content.decode()

    def test_the_csv_has_a_line_per_task(self, alice, team_a, owner_a, member_a):
        _charged(team_a, owner_a, micros=1_000_000)
        _charged(team_a, member_a, micros=250_000, prompt="=cmd")
        member_a.display_name = "=HYPERLINK()"
        member_a.save()
        response = alice.get("/usage.csv")
        assert response["Content-Type"].startswith("text/csv")
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][:3] == ["date", "time", "member"] and len(rows) == 3
        assert {r[11] for r in rows[1:]} == {"1", "0.25"}
        assert any(r[2] == "'=HYPERLINK()" for r in rows[1:])  # no formula injection

    def test_bad_periods_never_fail(self, alice):
        for params in ({"start": "junk"}, {"start": "2026-02-30"}, {"end": "1900-01-01"}):
            assert alice.get("/usage/", params).status_code == 200
            assert alice.get("/usage.csv", params).status_code == 200
        assert alice.get("/usage/", {"member": "99999999999999999999"}).status_code == 200

    def test_charged_but_failed_lists_failed_tasks_with_their_refund_status(
        self, alice, team_a, owner_a
    ):
        expected = _charged(
            team_a, owner_a, state=State.FAILED, status=ChargeStatus.REFUND_EXPECTED
        )
        refunded = _charged(team_a, owner_a, state=State.FAILED, status=ChargeStatus.REFUNDED)
        _charged(team_a, owner_a)  # a success is not listed
        text = alice.get("/usage/failed/").content.decode()
        assert f'data-failed-task="{expected.generation_id}"' in text
        assert f'data-failed-task="{refunded.generation_id}"' in text
        assert text.count("data-failed-task") == 2
        assert "Refund expected" in text and "Refunded" in text


def test_the_usage_log_confirms_refunds_and_charges_in_demo_mode(bob, team_a, member_a, settings):
    """End to end on the simulator: a failed task's refund shows up in the log → Refunded."""
    from gallery.generation import worker
    from spend.tasks import refresh_team
    from tests.waiting import wait_until

    settings.ZCHEAP_DEMO_SPEED = "fast"
    bob.post("/create/image/", {**IMAGE, "prompt": "doomed [sim:fail]"})
    bob.post("/create/image/", IMAGE)
    for generation in Generation.objects.all():
        worker.submit_one(generation.pk)

    def polled():
        worker.poll_once()
        for pk in worker.ready_for_ingest():
            worker.ingest_one(pk)
        return not Generation.objects.exclude(state__in=[State.DONE, State.FAILED]).exists()

    wait_until(polled, timeout=20)
    failed = Charge.objects.get(generation__prompt__contains="doomed")
    assert failed.status == ChargeStatus.REFUND_EXPECTED
    refresh_team(team_a)
    failed.refresh_from_db()
    assert failed.status == ChargeStatus.REFUNDED
    done = Charge.objects.get(status=ChargeStatus.CHARGED)
    assert done.charged_micros == PRO_MICROS and done.source == "log"
    assert Budget.objects.get(user=member_a).spent_this_month == PRO_MICROS
