"""The audit log page and CSV export at 100,000 events per team (two such teams).

    .venv/bin/python -m bench.bench_audit [--count 100000] [--rounds 15] [--reuse]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zcheap_bench .venv/bin/python -m bench.bench_audit

The benchmark team is seeded first and the other team second (its rows are the newest, so a plan
that walks the table instead of the (team, -created_at, -id) index steps over all of them). Each
page is timed alternately with /healthz (the same middleware, one query) as medians of ROUNDS; the deep page is also timed the OFFSET way for comparison. Then the full CSV.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django  # noqa: E402

TMP = setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.bench_gallery import timed_alternately  # noqa: E402

KINDS = ["gallery.deleted"] * 60 + ["role.changed"] * 25 + ["invitation.created"] * 14
RARE = "api_key.changed"


def seed(count: int, reuse: bool) -> tuple:
    from accounts.models import Membership, Role, Team, User
    from audit.models import AuditEvent

    call_command("migrate", verbosity=0)
    team = Team.objects.filter(name="Benchmark team").first()
    if reuse and team and AuditEvent.objects.filter(team__name="Other team").count() == count:
        print(f"reusing 2 × {count:,} events ({connection.vendor})")
        return team, list(User.objects.filter(memberships__team=team).order_by("pk"))
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    field = AuditEvent._meta.get_field("created_at")
    field.auto_now_add = False  # spread the events over a year (the app always stamps now)
    teams = []
    for name in ("Benchmark team", "Other team"):
        team = Team.objects.create(name=name)
        people = [
            User.objects.create_user(f"{name[:5].lower()}{i}@example.com", "pw") for i in range(8)
        ]
        for i, person in enumerate(people):
            Membership.objects.create(
                team=team, user=person, role=Role.OWNER if i == 0 else "member"
            )
        now, rng, batch = timezone.now(), random.Random(7), []
        for i in range(count):
            person = rng.choice(people)
            kind = RARE if i % 1000 == 0 else rng.choice(KINDS)
            batch.append(
                AuditEvent(
                    team=team,
                    actor=person,
                    actor_label=person.email,
                    kind=kind,
                    target=f"target {i}",
                    before={"role": "member"},
                    after={"role": "admin"},
                    created_at=now - timedelta(seconds=(count - i) * 300),
                )
            )
            if len(batch) == 5000:
                AuditEvent.objects.bulk_create(batch)
                batch = []
        AuditEvent.objects.bulk_create(batch)
        teams.append((team, people))
    field.auto_now_add = True
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded 2 × {count:,} events in {time.perf_counter() - started:.0f} s ({connection.vendor})"
    )
    return teams[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="keep the events of the last run")
    args = parser.parse_args()
    team, people = seed(args.count, args.reuse)

    from django.conf import settings

    from audit.filters import PAGE, cursor_of
    from audit.models import AuditEvent

    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    client.force_login(people[0])
    events = AuditEvent.objects.filter(team=team).order_by("-created_at", "-pk")
    middle = events[args.count // 2]
    last_page = events[args.count - PAGE - 1]
    today = timezone.localdate()
    pages = [
        ("team page (reference)", "/team/"),
        ("first page", "/team/audit/"),
        ("person filter", f"/team/audit/?person={people[3].pk}"),
        ("common kind", "/team/audit/?kind=gallery.deleted"),
        ("rare kind (1 in 1,000)", f"/team/audit/?kind={RARE}"),
        (
            "one month",
            f"/team/audit/?since={today - timedelta(days=60)}&until={today - timedelta(days=30)}",
        ),
        ("middle page (keyset)", f"/team/audit/?before={cursor_of(middle)}"),
        ("last page (keyset)", f"/team/audit/?before={cursor_of(last_page)}"),
    ]
    bare = "/healthz"
    for _, url in pages:
        assert client.get(url).status_code == 200, url

    print(f"\n{'page':<26}{'median ms':>10}{'bare ms':>10}{'ratio':>8}")
    for name, url in pages:
        page_s, bare_s = timed_alternately(
            [lambda u=url: client.get(u), lambda: client.get(bare)], args.rounds
        )
        print(f"{name:<26}{page_s * 1000:>10.1f}{bare_s * 1000:>10.1f}{page_s / bare_s:>8.1f}")

    # The same middle page the OFFSET way, for comparison (the query alone).
    def keyset():
        from audit.filters import older_than

        list(older_than(events, (middle.created_at, middle.pk))[: PAGE + 1])

    def offset():
        list(events[args.count // 2 : args.count // 2 + PAGE + 1])

    k, o = timed_alternately([keyset, offset], args.rounds)
    print(f"\nmiddle page query: keyset {k * 1000:.1f} ms, OFFSET {o * 1000:.1f} ms (×{o / k:.1f})")

    started = time.perf_counter()
    response = client.get("/team/audit/export.csv")
    size = sum(len(chunk) for chunk in response.streaming_content)
    took = time.perf_counter() - started
    print(
        f"CSV export of {args.count:,} events: {took:.1f} s, {size / 1e6:.1f} MB, "
        f"{args.count / took:,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
