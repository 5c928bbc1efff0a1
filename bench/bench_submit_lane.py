"""What sending one queued task costs the submit lane: database statements, CPU and wall time
per submit, through the real path (the create form's dispatch on commit, fair dispatch, the
django-tasks-db queue, lane threads, the fake upstream's 300 ms submit).

    .venv/bin/python -m bench.bench_submit_lane [--submits 100] [--threads 16]
    (PostgreSQL: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zc_bench; it is flushed)

N image tasks are created at once, as a batch would, then the submit lane's threads run in this
process until every one is submitted. Statements and CPU are counted for the whole process, all
threads; the wall time depends on the machine's load too.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django  # noqa: E402

os.environ["DEBUG"] = "0"  # production settings, as the worker runs: persistent connections
TMP = setup_django()

from django.core.management import call_command  # noqa: E402

from bench import lane_stats  # noqa: E402
from bench.fake_upstream import FakeUpstream  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submits", type=int, default=100)
    parser.add_argument("--threads", type=int, default=None, help="SUBMIT_CONCURRENCY")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from django.conf import settings

    from gallery.generation import lanes, tasks
    from gallery.models import Generation

    if args.threads:
        settings.SUBMIT_CONCURRENCY = args.threads
    call_command("migrate", verbosity=0)
    fake = FakeUpstream(delay=0.3).start()
    from django.db import transaction

    lane_stats.count_statements()
    from django.db import connection

    print(
        f"{connection.vendor}, {args.submits} submits a round, "
        f"{lanes.lane_sizes()['submit']} submit threads"
    )
    for round_no in range(args.rounds):
        call_command("flush", interactive=False, verbosity=0)
        team, user = lane_stats.bench_team(fake, round_no)
        workers, turns = lanes._lane_workers(
            {"submit": lanes.lane_sizes()["submit"]}, 0.05, "bench"
        )
        stopping = threading.Event()
        threads = lanes._start_threads(workers, stopping)
        time.sleep(0.5)
        lane_stats.statements["n"] = 0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        with transaction.atomic():
            for i in range(args.submits):
                generation = Generation.objects.create(
                    team=team,
                    user=user,
                    kind="image",
                    action="generate",
                    model="gemini-3-pro-image-preview",
                    prompt=f"round {round_no} submit {i}",
                )
                tasks.start_generation(generation)
        sent_before = len(fake.submits)
        while len(fake.submits) - sent_before < args.submits:
            time.sleep(0.02)
            if time.perf_counter() - wall0 > float(os.environ.get("BENCH_GIVE_UP", 300)):
                print("gave up after 300 s")
                break
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        time.sleep(0.5)  # the last ones record their reply
        statements = lane_stats.statements["n"]
        stopping.set()
        lanes._stop_workers(workers, turns)
        for thread in threads:
            thread.join(10)
        done = len(fake.submits) - sent_before
        print(
            f"round {round_no + 1}: {done}/{args.submits} sent in {wall:.1f} s "
            f"({done / wall:.0f}/s); per submit: {statements / max(done, 1):.1f} statements, "
            f"{1000 * cpu / max(done, 1):.1f} ms CPU (this process, all threads)"
        )
        lane_stats.print_shapes(done)


if __name__ == "__main__":
    main()
