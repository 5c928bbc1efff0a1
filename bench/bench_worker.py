"""Worker tracking: one worker process keeps N tasks in flight against the standalone simulator.

    .venv/bin/python -m bench.bench_worker [--tasks 1000] [--latency 0.3]

Creates N image tasks on a loopback simulator (300 ms latency, demo timing: ~5 s per task),
records them as submitted generations, then runs the worker's poll step (batch claim + bounded
concurrent async polls) until every one is tracked to completion. Prints polls/s, the time to
track all, and completion-to-visible latency: from the moment the simulator finished a task to
the moment our row knew it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django  # noqa: E402

TMP = setup_django()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.bench_client_poll import start_simulator  # noqa: E402
from gallery.generation import worker  # noqa: E402
from zcheap import types as t  # noqa: E402
from zcheap.client import AsyncZcheapClient  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from accounts.models import Team
    from gallery.models import Generation, State

    proc, url = start_simulator(args.latency, TMP / "sim.db")
    try:
        team = Team.objects.create(name="bench", base_url=url)
        team.set_api_key("bench-key")
        team.save()

        async def submit_all():
            async with AsyncZcheapClient(
                url, "bench-key", max_concurrency=200, max_retries=0
            ) as client:
                return await asyncio.gather(
                    *(
                        client.create_image(
                            t.ImageRequest("gemini-3-pro-image-preview", f"bench {i}")
                        )
                        for i in range(args.tasks)
                    )
                )

        started = time.perf_counter()
        submits = asyncio.run(submit_all())
        submitted_at = timezone.now()
        print(
            f"submitted {len(submits)} tasks in {time.perf_counter() - started:.1f} s "
            f"(concurrently, outside the worker)"
        )
        Generation.objects.bulk_create(
            [
                Generation(
                    team=team,
                    kind="image",
                    model="gemini-3-pro-image-preview",
                    prompt=f"bench {i}",
                    state=State.SUBMITTED,
                    remote_id=s.task_id,
                    submitted_at=submitted_at,
                    next_poll_at=submitted_at,
                    deadline_at=submitted_at + timezone.timedelta(minutes=10),
                    late_until=submitted_at + timezone.timedelta(hours=24),
                )
                for i, s in enumerate(submits)
            ]
        )
        sim_done_at = {s.task_id: s.created_at for s in submits}  # finished = created + ~5 s
        polls, begun = 0, time.perf_counter()
        while Generation.objects.filter(state__in=[State.SUBMITTED, State.RUNNING]).exists():
            n = worker.poll_once()
            polls += n
            if not n:
                time.sleep(0.05)
        elapsed = time.perf_counter() - begun
        from zcheap.simulator import SimConfig

        total = SimConfig.demo().total_s("image")
        lags = sorted(
            (g.updated_at.timestamp() - (sim_done_at[g.remote_id] + total))
            for g in Generation.objects.filter(state=State.DOWNLOADING)
        )
        print(f"tasks in flight        {args.tasks}")
        print(f"polls                  {polls} in {elapsed:.1f} s = {polls / elapsed:.1f} polls/s")
        print(
            f"all tracked to done    {elapsed:.1f} s after submit (each task takes ~{total:.0f} s upstream)"
        )
        print(
            f"completion → visible   p50 {statistics.median(lags):.2f} s, p95 {lags[int(len(lags) * 0.95)]:.2f} s, "
            f"max {lags[-1]:.2f} s"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
