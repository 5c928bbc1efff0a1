"""What storing one finished result costs the ingest lane: database statements, CPU and wall
time per result, through the real path (fair dispatch, django-tasks-db queue, lane threads,
download from the fake upstream, thumbnails, the final transition and its listeners).

    .venv/bin/python -m bench.bench_ingest_lane [--results 400] [--threads 8]
    (PostgreSQL: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zc_bench; it is flushed)

N image tasks are put in the "downloading" state at once (upstream finished them; a 64×64 PNG
each on bench/fake_upstream.py), then the ingest lane's threads run in this process until every
row is done. Statements and CPU are counted for the whole process, all threads: they do not
depend on how busy the machine is, unlike the wall time, which is printed too.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django  # noqa: E402

os.environ["DEBUG"] = "0"  # production settings, as the worker runs: persistent connections
TMP = setup_django()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import lane_stats  # noqa: E402
from bench.fake_upstream import FakeUpstream  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=400)
    parser.add_argument("--threads", type=int, default=None, help="INGEST_CONCURRENCY")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from django.conf import settings

    from gallery.generation import lanes, tasks
    from gallery.models import Generation, State

    if args.threads:
        settings.INGEST_CONCURRENCY = args.threads
    call_command("migrate", verbosity=0)
    fake = FakeUpstream(delay=0.3).start()
    lane_stats.count_statements()
    from django.db import connection

    print(
        f"{connection.vendor}, {args.results} results a round, "
        f"{lanes.lane_sizes()['ingest']} ingest threads"
    )
    for round_no in range(args.rounds):
        call_command("flush", interactive=False, verbosity=0)
        team, user = lane_stats.bench_team(fake, round_no)
        now = timezone.now()
        rows = []
        for i in range(args.results):
            task_id = fake.add_task(run_s=0)
            rows.append(
                Generation(
                    team=team,
                    user=user,
                    kind="image",
                    action="generate",
                    model="gemini-3-pro-image-preview",
                    prompt=f"result {i}",
                    state=State.DOWNLOADING,
                    remote_id=task_id,
                    result_urls=[f"{fake.url}/media/{task_id}.png"],
                    submitted_at=now,
                    deadline_at=now + timedelta(minutes=10),
                    late_until=now + timedelta(hours=24),
                )
            )
        Generation.objects.bulk_create(rows)
        workers, turns = lanes._lane_workers(
            {"ingest": lanes.lane_sizes()["ingest"]}, 0.05, "bench"
        )
        stopping = threading.Event()
        lane_stats.statements["n"] = 0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        tasks.dispatch_ingests()
        threads = lanes._start_threads(workers, stopping)
        while Generation.objects.filter(state=State.DOWNLOADING).exists():
            time.sleep(0.05)
            if time.perf_counter() - wall0 > 300:
                print("gave up after 300 s")
                break
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        statements = lane_stats.statements["n"]
        stopping.set()
        lanes._stop_workers(workers, turns)
        for thread in threads:
            thread.join(10)
        done = Generation.objects.filter(state=State.DONE).count()
        print(
            f"round {round_no + 1}: {done}/{args.results} stored in {wall:.1f} s "
            f"({done / wall:.0f}/s); per result: {statements / max(done, 1):.1f} statements, "
            f"{1000 * cpu / max(done, 1):.1f} ms CPU (this process, all threads)"
        )
        lane_stats.print_shapes(done)


if __name__ == "__main__":
    main()
