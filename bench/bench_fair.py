"""Does one member's burst starve a colleague? A real `run_worker` against the fast fake upstream
(bench/fake_upstream.py: asyncio, keep-alive, a fixed delay per request).

    .venv/bin/python -m bench.bench_fair [--burst 300] [--samples 3] [--delay 0.3] [--run-s 3]
    (PostgreSQL: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zc_bench; it is flushed)

Member B makes single images one after the other on an idle worker (SAMPLES times: the idle
time, create -> done, median). Then member A creates a burst of BURST images at once (one
transaction, the way a batch of issue 15 will), and while it runs B makes SAMPLES single images
again, one after the other, starting 1 s into the burst. Printed: each of B's times, the median
idle and busy times and their ratio (issue 18 / 15 target: busy <= 1.2 x idle), how far A's
burst had got (A's tasks done when B's last image was done, and when the whole burst was done),
and where each of B's images spent its time: sent (submit reached the upstream), done upstream,
first poll that saw it done, stored (so a slow ratio says whether submits, polls or ingests lag).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, setup_django, worker_env  # noqa: E402

TMP = setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from bench.fake_upstream import FakeUpstream  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.3, help="fake upstream, per request")
    parser.add_argument("--run-s", type=float, default=3.0, help="fake upstream, per task")
    args = parser.parse_args()

    from accounts.models import Membership, Team, User
    from gallery.models import Generation

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    fake = FakeUpstream(delay=args.delay, run_s=args.run_s).start()
    team = Team.objects.create(name="bench", base_url=fake.url)
    team.set_api_key("bench-key")
    team.save()
    a = User.objects.create_user("a@example.com", "pw-bench-fair-1")
    b = User.objects.create_user("b@example.com", "pw-bench-fair-2")
    for user in (a, b):
        Membership.objects.create(team=team, user=user, role="member")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker"],
        cwd=ROOT,
        env=worker_env(TMP),
        stdout=open(TMP / "worker.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        single(team, b, "warm-up")  # the worker's first task pays for imports and connections
        idle = [single(team, b, f"idle {i}") for i in range(args.samples)]
        burst_start = time.time()
        with transaction.atomic():
            for i in range(args.burst):
                create(team, a, f"burst {i}")
        time.sleep(1.0)
        busy = [single(team, b, f"busy {i}") for i in range(args.samples)]
        a_done_then = Generation.objects.filter(user=a, state="done").count()
        a_total = wait_for(
            lambda: Generation.objects.filter(user=a, state="done").count() >= args.burst, 600
        )
        burst_s = time.time() - burst_start
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
    idle_s, busy_s = statistics.median(idle), statistics.median(busy)
    print(
        f"fake upstream {args.delay * 1000:.0f} ms a request, tasks take {args.run_s:.0f} s; "
        f"burst of {args.burst} by member A"
    )
    print(f"B's single image, idle worker: {', '.join(f'{t:.2f}' for t in idle)} s")
    print(f"B's single image, during A's burst: {', '.join(f'{t:.2f}' for t in busy)} s")
    print(
        f"median idle {idle_s:.2f} s, busy {busy_s:.2f} s: ratio {busy_s / idle_s:.2f} (target <= 1.2)"
    )
    print(f"worst busy / median idle: {max(busy) / idle_s:.2f}")
    print(
        f"A's burst: {a_done_then} of {args.burst} done when B's last image was; "
        f"all {args.burst} done {'' if a_total else 'NOT '}after {burst_s:.1f} s"
    )
    print(f"submits {len(fake.submits)}, polls {fake.polls}")
    print("where B's time went (s from create): sent, done upstream, first seen done, stored")
    for generation in Generation.objects.filter(user=b).order_by("created_at"):
        task = fake.tasks.get(generation.remote_id)
        if task is None or generation.finished_at is None:
            continue
        created = generation.created_at.timestamp()
        seen = f"{task.seen_done - created:.2f}" if task.seen_done else "?"
        print(
            f"  {generation.prompt:8} {task.created - created:5.2f} {task.done_at - created:6.2f} "
            f"{seen:>6} {generation.finished_at.timestamp() - created:6.2f}"
        )


def create(team, user, prompt: str):
    from gallery.generation.tasks import start_generation
    from gallery.models import Generation

    generation = Generation.objects.create(
        team=team,
        user=user,
        kind="image",
        action="generate",
        model="gemini-3-pro-image-preview",
        prompt=prompt,
    )
    start_generation(generation)
    return generation


def single(team, user, prompt: str) -> float:
    """Create one image the way the form does and wait for it: seconds from create to done."""
    from gallery.models import Generation

    with transaction.atomic():
        generation = create(team, user, prompt)
    if not wait_for(lambda: Generation.objects.get(pk=generation.pk).is_terminal, 120):
        raise SystemExit(f"{prompt}: not finished after 120 s (see {TMP / 'worker.log'})")
    generation.refresh_from_db()
    if generation.state != "done":
        raise SystemExit(f"{prompt}: {generation.state} {generation.error_message}")
    return (generation.finished_at - generation.created_at).total_seconds()


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


if __name__ == "__main__":
    main()
