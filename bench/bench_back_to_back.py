"""Back-to-back tasks in demo mode: a real `run_worker` process, one image task after another,
each created a few seconds after the previous one finished (the way a person works).

    .venv/bin/python -m bench.bench_back_to_back [--tasks 3] [--pause 3] [--hung]

Prints the time from creating each task to its row being done (the simulator's realistic timing
is ~5 s per image). A poll loop that does not notice new work after an idle spell shows up here
as tasks 2..N taking a minute or more.

--hung (issue 18's first target): the tasks run once on an idle worker, then again while another
team's submit hangs (`[sim:hang]`: the simulator holds it 40 s, cut at the 30 s read timeout);
prints both medians and their ratio (target: within 1.1x).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

SETUP = """
import django; django.setup()
from accounts.models import Membership, Team, User
for name in ("Bench", "Other"):
    team = Team.objects.create(name=name)
    user = User.objects.create_user(f"{name}@example.com", "pw-bench-back-to-back")
    Membership.objects.create(team=team, user=user, role="owner")
"""
CREATE = """
import django, sys; django.setup()
from django.db import transaction
from accounts.models import Team, User
from gallery.models import Generation
from gallery.generation.tasks import start_generation
name, prompt = sys.argv[1], sys.argv[2]
with transaction.atomic():
    g = Generation.objects.create(
        team=Team.objects.get(name=name), user=User.objects.get(email__iexact=f"{name}@example.com"),
        kind="image", action="generate", model="gemini-3-pro-image-preview", prompt=prompt,
        params={"aspect_ratio": "1:1", "size": "1K"},
    )
    start_generation(g)
print(g.pk)
"""
STATE = """
import django, sys; django.setup()
from gallery.models import Generation
print(Generation.objects.get(pk=int(sys.argv[1])).state)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--pause", type=float, default=3.0)
    parser.add_argument(
        "--hung", action="store_true", help="again while another team's submit hangs"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="zcheap-bench-b2b-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "zcheap_site.settings",
        "ZCHEAP_DATA_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "ZCHEAP_SIMULATOR_DB": str(tmp / "sim.db"),
        "TASK_BACKEND": "database",
        "ZCHEAP_DEMO_MODE": "1",  # keyless teams use the simulator only when this is on
    }

    def run(script: str, *argv: str) -> str:
        done = subprocess.run(
            [PY, "-c", script, *argv], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    run(SETUP)
    with open(tmp / "worker.log", "w") as log:
        worker = subprocess.Popen(
            [PY, "manage.py", "run_worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def one_after_another(label: str) -> list[float]:
        times = []
        for n in range(1, args.tasks + 1):
            started = time.monotonic()
            pk = run(CREATE, "Bench", "a fox")
            state = ""
            while state not in {"done", "failed"} and time.monotonic() - started < 180:
                time.sleep(0.3)
                state = run(STATE, pk)
            times.append(time.monotonic() - started)
            print(f"{label}task {n}: {state or 'timeout'} {times[-1]:5.1f} s after create")
            time.sleep(args.pause)
        return times

    try:
        idle = one_after_another("")
        if args.hung:
            hung = run(CREATE, "Other", "[sim:hang] an owl")
            time.sleep(1.0)  # its submit is in the air
            busy = one_after_another("while another team's submit hangs: ")
            print(
                f"median idle {statistics.median(idle):.1f} s, while one submit hangs "
                f"{statistics.median(busy):.1f} s: ratio "
                f"{statistics.median(busy) / statistics.median(idle):.2f} (target <= 1.1); the "
                f"hung task is {run(STATE, hung)}"
            )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
