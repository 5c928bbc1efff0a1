"""What a fresh gunicorn worker's first requests cost, against the same worker warm.

    .venv/bin/python -m bench.bench_cold [--config deploy/gunicorn.conf.py] [--rounds 50]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zcheap_bench .venv/bin/python -m bench.bench_cold

Starts gunicorn with the given config (one worker, one thread, production settings as
`bench_load` sets them), waits until its worker has booted, then times the first gallery page
and the first card poll that worker answers (wall clock, and the worker's CPU from /proc), then
ROUNDS more of each (the warm figure). Then it stops that worker the way `max_requests` retires
one (SIGTERM: it finishes and exits, the master starts another) and times the new worker's first
gallery page and poll: with `preload_app` and the warm-up (deploy/gunicorn.conf.py) the new
worker is a fork of a warm master. `--config` with main's config file measures the code before.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import bench_load  # noqa: E402 (sets production settings, then Django up)
from bench.bench_load import ROOT, children_of, free_port, get, prepare, process_cpu  # noqa: E402


def _cpu(pid: int) -> float:
    return process_cpu([pid]).get(pid, 0.0)


def _worker(server: subprocess.Popen, not_in: set[int]) -> int:
    """The pid of the server's worker that is not in NOT_IN, once it has booted."""
    for _ in range(600):
        found = [p for p in children_of(server.pid) if p not in not_in]
        if found:
            time.sleep(3)  # its own start-up (without preload: importing the app) is done
            return found[0]
        time.sleep(0.1)
    raise SystemExit("no worker started")


def _timed(port: int, path: str, cookie: str, headers: dict, pid: int) -> tuple[float, float]:
    cpu, wall = _cpu(pid), time.perf_counter()
    reply = asyncio.run(get(port, path, cookie, headers))
    assert reply.status_code in (200, 286), (path, reply.status_code)
    return time.perf_counter() - wall, _cpu(pid) - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="deploy/gunicorn.conf.py")
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    [(cookie, shown)] = prepare(1, 20, 200)
    bench_load.connection.close()
    poll = "/tasks/poll/?ids=" + quote(",".join(f"{pk}:{v}" for pk, v in shown.items()))
    page_headers = {"Accept-Encoding": "gzip"}
    poll_headers = {"HX-Request": "true", "Accept-Encoding": "gzip"}
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "1",
    }
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", args.config, "zcheap_site.wsgi"],
        cwd=ROOT,
        env=env,
    )
    rows = []
    try:
        worker = _worker(server, set())
        print(
            f"{args.config}: first worker up {time.perf_counter() - started - 3:.1f} s after start"
        )

        def first(label: str, pid: int) -> None:
            rows.append(
                (f"{label}: gallery page", *_timed(port, "/gallery/", cookie, page_headers, pid))
            )
            rows.append((f"{label}: card poll", *_timed(port, poll, cookie, poll_headers, pid)))

        first("fresh worker, 1st", worker)
        warm = {"gallery page": [], "card poll": []}
        cpu0 = _cpu(worker)
        for _ in range(args.rounds):
            warm["gallery page"].append(_timed(port, "/gallery/", cookie, page_headers, worker))
            warm["card poll"].append(_timed(port, poll, cookie, poll_headers, worker))
        print(
            f"  (warm rounds: worker CPU {(_cpu(worker) - cpu0) / args.rounds * 1000:.0f} ms a pair)"
        )
        for label, samples in warm.items():
            rows.append(
                (
                    f"same worker warm (median of {args.rounds}): {label}",
                    statistics.median(w for w, _c in samples),
                    statistics.mean(c for _w, c in samples),
                )
            )
        os.kill(worker, signal.SIGTERM)  # retired, as after max_requests
        recycled = _worker(server, {worker})
        first("recycled worker, 1st", recycled)
    finally:
        server.terminate()
        server.wait(timeout=40)
    print(f"\n{'request':<48} {'wall ms':>8} {'CPU ms':>7}")
    for label, wall, cpu in rows:
        print(f"{label:<48} {wall * 1000:8.1f} {cpu * 1000:7.0f}")
    print(f"(worker CPU from /proc in 10 ms ticks; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
