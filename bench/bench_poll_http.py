"""Which HTTP client set-up polls fastest, and at what CPU cost? (issue 18, encode/httpcore#1035)

    .venv/bin/python -m bench.bench_poll_http [--polls 5000] [--concurrency 200] [--delay 0.3]

The fast fake upstream (bench/fake_upstream.py) runs in a process of its own with a fixed delay
per request; this process polls POLLS tasks through the real AsyncZcheapClient, at most
CONCURRENCY requests at once, with each client set-up in turn (twice each, alternating, after
one warm-up round), and prints polls/s and CPU milliseconds per poll of this process. Ideal
polls/s = concurrency / delay.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setups(concurrency: int):
    import httpx

    from zcheap.http import SpreadTransport

    return {
        "one pool, keep-alive": lambda: httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        ),
        "one pool, no keep-alive": lambda: httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
        ),
        "pools of 25, keep-alive": lambda: SpreadTransport(concurrency, per_pool=25),
        "pools of 10, keep-alive": lambda: SpreadTransport(concurrency, per_pool=10),
        "pools of 4, keep-alive": lambda: SpreadTransport(concurrency, per_pool=4),
        "pools of 1, keep-alive": lambda: SpreadTransport(concurrency, per_pool=1),
    }


async def run(base_url: str, make_transport, polls: int, concurrency: int) -> tuple[float, float]:
    from zcheap.client import AsyncZcheapClient

    async with AsyncZcheapClient(
        base_url, "k", transport=make_transport(), max_concurrency=concurrency, max_retries=0
    ) as client:
        ids = [f"img_{i % 5000 + 1}" for i in range(polls)]
        wall, cpu = time.perf_counter(), time.process_time()
        results = await asyncio.gather(*(client.get_image(i) for i in ids), return_exceptions=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    errors = [r for r in results if isinstance(r, Exception)]
    if errors:
        print(f"  {len(errors)} errors, e.g. {errors[0]!r}")
    return polls / wall, cpu / polls * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.fake_upstream",
            "--tasks",
            "5000",
            "--delay",
            str(args.delay),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        options = setups(args.concurrency)
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in options}
        asyncio.run(run(base, next(iter(options.values())), 500, args.concurrency))  # warm up
        for _ in range(args.rounds):
            for name, make in options.items():
                figures[name].append(asyncio.run(run(base, make, args.polls, args.concurrency)))
        ideal = args.concurrency / args.delay
        print(
            f"{args.polls} polls, at most {args.concurrency} at once, {args.delay * 1000:.0f} ms "
            f"upstream (ideal {ideal:.0f} polls/s)"
        )
        print(f"{'set-up':<26} {'polls/s':>8} {'of ideal':>9} {'CPU ms/poll':>12}")
        for name, runs in figures.items():
            rate = sum(r for r, _ in runs) / len(runs)
            cpu = sum(c for _, c in runs) / len(runs)
            print(f"{name:<26} {rate:>8.0f} {rate / ideal:>9.2f} {cpu:>12.2f}")
    finally:
        server.stdin.close()
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
