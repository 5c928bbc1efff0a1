"""Does a busy worker still send submits at once? A real `run_worker` against the fast fake
upstream (bench/fake_upstream.py: asyncio, keep-alive, fixed 300 ms a request).

    .venv/bin/python -m bench.bench_lanes [--in-flight 1000] [--submits 100] [--seconds 60]
    (PostgreSQL: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zc_bench; it is flushed)

N image tasks are put in flight first (already submitted upstream, each finishing 5-40 s later),
so the poll loop is busy all the time; a worker starts; after it has polled for a while, 100
image tasks are created at once the way the create form does (enqueued on commit). Printed:
- 100 queued submits: seconds from creating them to the last one reaching the fake upstream,
  and the largest gap between two consecutive submits;
- poll lag: every 0.5 s, how overdue the most overdue in-flight row is (p50/p95/max);
- upstream done -> stored: from a task finishing upstream to its row being done (p50/p95), and
  how many finished tasks were stored by the end.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, setup_django, worker_env  # noqa: E402

TMP = setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.fake_upstream import FakeUpstream  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--in-flight", type=int, default=1000)
    parser.add_argument("--submits", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--workers", type=int, default=1, help="run_worker processes")
    parser.add_argument(
        "--durations",
        default="30:240",
        help="LOW:HIGH seconds: each in-flight task's whole run upstream, drawn uniformly; it is "
        "found part-way through (a fleet in steady state: images, MJ jobs and videos). 30:240 "
        "is about 5,000/135 = 37 results a second at 5,000 in flight",
    )
    parser.add_argument(
        "--burst",
        action="store_true",
        help="the earlier scenario instead: every in-flight task finishes 5-40 s from the start "
        "(5,000 in flight: 125 results a second to store, for 40 s), submitted up to --spread ago",
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=120,
        help="in-flight tasks were submitted up to this many seconds ago (their poll intervals "
        "then range from 2 to 15 s, as in a fleet that has been busy for a while)",
    )
    args = parser.parse_args()

    from accounts.models import Membership, Team, User
    from gallery.generation.tasks import start_generation
    from gallery.models import Generation, State

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    fake = FakeUpstream(delay=args.delay).start()
    team = Team.objects.create(name="bench", base_url=fake.url)
    team.set_api_key("bench-key")
    team.save()
    user = User.objects.create_user("bench@example.com", "pw-bench-lanes-1")
    Membership.objects.create(team=team, user=user, role="owner")
    now = timezone.now()
    low, high = (float(x) for x in args.durations.split(":"))

    def timing() -> tuple[float, float]:
        """(seconds left upstream, seconds since it was submitted)."""
        if args.burst:
            return random.uniform(5, 40), random.uniform(0, args.spread)
        whole = random.uniform(low, high)
        done = random.uniform(0, 1)
        return whole * (1 - done), whole * done

    timings = [timing() for _ in range(args.in_flight)]
    Generation.objects.bulk_create(
        [
            Generation(
                team=team,
                user=user,
                kind="image",
                action="generate",
                model="gemini-3-pro-image-preview",
                prompt=f"in flight {i}",
                state=State.SUBMITTED,
                remote_id=fake.add_task(run_s=left),
                submitted_at=now - timedelta(seconds=ago),
                next_poll_at=now + timedelta(seconds=random.uniform(0, 2)),
                deadline_at=now + timedelta(minutes=10),
                late_until=now + timedelta(hours=24),
            )
            for i, (left, ago) in enumerate(timings)
        ]
    )
    env = worker_env(TMP, ASSET_SYNC_SECONDS="0")  # the fake upstream has no asset API
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=ROOT,
            env=env,
            stdout=open(TMP / f"worker{n}.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for n in range(args.workers)
    ]
    lags: list[tuple[bool, float]] = []  # (after the warm-up?, lag)
    created_at = None
    cpu_from = None
    begun = time.monotonic()
    try:
        while time.monotonic() - begun < args.seconds:
            if created_at is None and time.monotonic() - begun >= args.warmup:
                cpu_from = (time.monotonic(), _cpu_seconds(workers), fake.polls)
                lanes_from = _cpu_by_lane(workers)
                created_at = time.time()
                for i in range(args.submits):
                    with transaction.atomic():
                        g = Generation.objects.create(
                            team=team,
                            user=user,
                            kind="image",
                            action="generate",
                            model="gemini-3-pro-image-preview",
                            prompt=f"queued {i}",
                        )
                        start_generation(g)
            lags.append((created_at is not None, _oldest_poll_lag()))
            time.sleep(0.5)
        cores = per_poll = None
        by_lane: dict[str, float] = {}
        if cpu_from is not None:
            used = _cpu_seconds(workers) - cpu_from[1]
            cores = used / (time.monotonic() - cpu_from[0])
            per_poll = used / max(1, fake.polls - cpu_from[2]) * 1000
            elapsed = time.monotonic() - cpu_from[0]
            by_lane = {
                lane: (seconds - lanes_from.get(lane, 0.0)) / elapsed
                for lane, seconds in _cpu_by_lane(workers).items()
            }
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
    _report(fake, args, created_at, lags, begun)
    print(
        f"CPU of the worker processes (after warm-up): {cores:.2f} cores, {per_poll:.1f} ms per "
        "poll answered (all lanes: polls, submits, ingests)"
    )
    if cores is not None:
        print("  by process: " + ", ".join(f"{k} {v:.2f}" for k, v in by_lane.items()))
    print(f"load average at the end (shared machine?): {os.getloadavg()[0]:.1f}")
    locked = sum(
        (TMP / f"worker{n}.log").read_text().count("database is locked")
        for n in range(args.workers)
    )
    print(f'"database is locked" in the worker logs: {locked}')


def _cpu_seconds(workers) -> float:
    """User + system CPU seconds of run_worker and every lane process it started, from /proc
    (Linux). Before 1 Dec this counted the run_worker sessions only, which missed the lane
    processes (sessions of their own): earlier figures left out the poll process."""
    return sum(_cpu_by_lane(workers).values())


def _cpu_by_lane(workers) -> dict[str, float]:
    """CPU seconds per kind of process: the poll lane, the loops lane, and run_worker itself
    (submit and ingest threads). Lane processes run in sessions of their own, so every
    descendant of a run_worker counts, found through the parent ids in /proc."""
    procs: dict[int, tuple[int, float, str]] = {}  # pid: (parent, CPU seconds, lane)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        lane = argv[argv.index(b"--lane") + 1].decode() if b"--lane" in argv else ""
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        procs[int(entry)] = (int(fields[1]), cpu, lane)  # field 4 of stat: the parent id
    ours = {w.pid for w in workers}
    grew = True
    while grew:
        children = {pid for pid, (parent, _, _) in procs.items() if parent in ours}
        grew = bool(children - ours)
        ours |= children
    totals: dict[str, float] = {"poll": 0.0, "loops": 0.0, "submit+ingest": 0.0}
    for pid in ours & procs.keys():
        _, cpu, lane = procs[pid]
        totals[lane if lane in totals else "submit+ingest"] += cpu
    return totals


def _oldest_poll_lag() -> float:
    """How overdue the most overdue in-flight row is, leased or not: a row claimed by a poll
    process whose request has not been answered yet is still waiting (before 1 Dec leased rows
    were left out, which flattered the figure)."""
    from django.db.models import Min

    from gallery.models import Generation, State

    now = timezone.now()
    oldest = Generation.objects.filter(
        state__in=[State.SUBMITTED, State.RUNNING], next_poll_at__lte=now
    ).aggregate(at=Min("next_poll_at"))["at"]
    return (now - oldest).total_seconds() if oldest else 0.0


def _report(fake: FakeUpstream, args, created_at: float | None, lags: list, begun) -> None:
    from gallery.models import Generation, State

    sent = sorted(t for t in fake.submits if created_at and t >= created_at)
    print(
        f"in flight {args.in_flight}, {args.workers} run_worker, fake upstream "
        f"{args.delay * 1000:.0f} ms a request"
    )
    if sent:
        gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)] or [0.0]
        print(
            f"{len(sent)}/{args.submits} queued submits sent: last {sent[-1] - created_at:.1f} s "
            f"after creating them, largest gap {max(gaps):.1f} s"
        )
    else:
        print(f"0/{args.submits} queued submits sent")
    # The first seconds poll every in-flight row once (all due within 2 s of the start): the
    # figures are for after the warm-up, the start's worst is shown apart.
    steady = [lag for after, lag in lags if after] or [0.0]
    start = max([lag for after, lag in lags if not after] or [0.0])
    print(
        f"poll lag after the warm-up (oldest overdue row, every 0.5 s): p50 "
        f"{statistics.median(steady):.1f} s, p95 {pct(steady, 0.95):.1f} s, max {max(steady):.1f} s"
        f" (during the warm-up at most {start:.1f} s)"
    )
    done = {
        g.remote_id: g.finished_at.timestamp()
        for g in Generation.objects.filter(state=State.DONE).exclude(remote_id="")
    }
    finished = [(tid, t) for tid, t in fake.tasks.items() if t.done_at < time.time() - 1]
    stored = [done[tid] - t.done_at for tid, t in finished if tid in done]
    print(f"polls answered {fake.polls} ({fake.polls / (time.monotonic() - begun):.0f}/s)")
    print(
        f"double polls: {fake.overlapping_polls} overlapping, {fake.polls_after_done} after "
        f"'succeeded'; double downloads: {fake.double_downloads}; double submits: "
        f"{fake.double_submits}"
    )
    if stored:
        print(
            f"upstream done -> stored: {len(stored)} of {len(finished)} finished stored, "
            f"p50 {statistics.median(stored):.1f} s, p95 {pct(stored, 0.95):.1f} s"
        )
    else:
        print(f"upstream done -> stored: 0 of {len(finished)} finished stored")


if __name__ == "__main__":
    main()
