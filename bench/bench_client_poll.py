"""Poll throughput of the async client against the standalone simulator with 300 ms latency.

    .venv/bin/python -m bench.bench_client_poll [--latency 0.3] [--seconds 6]

Starts the simulator as a separate process on loopback, submits N image tasks that stay running
([sim:late]), then polls all N continuously for a fixed time with N in flight, and prints
polls/s against the ideal (in-flight / round-trip time).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zcheap import types as t  # noqa: E402
from zcheap.client import AsyncZcheapClient  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_simulator(latency: float, state: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "ZCHEAP_SIMULATOR_DB": str(state),
        "ZCHEAP_SIM_LATENCY": str(latency),
        "DJANGO_SETTINGS_MODULE": "zcheap_site.settings",
        "ZCHEAP_DATA_DIR": str(state.parent),
    }
    # manage.py zcheap_simulator: wsgiref, one thread and one connection per request
    command = [sys.executable, "manage.py", "zcheap_simulator", "--port", str(port),
               "--latency", str(latency), "--db", str(state)]  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/__sim__/stats", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("simulator did not start")


async def run_level(
    url: str, in_flight: int, seconds: float, latency: float
) -> tuple[float, float]:
    async with AsyncZcheapClient(
        url,
        "bench",
        max_concurrency=in_flight,
        max_retries=0,
        timeout=httpx.Timeout(60, connect=10),
    ) as client:
        submits = await asyncio.gather(
            *(
                client.create_image(
                    t.ImageRequest("gemini-3-pro-image-preview", f"bench {i} [sim:late]")
                )
                for i in range(in_flight)
            )
        )
        ids = [s.task_id for s in submits]
        done = 0
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def poller(task_id: str) -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await client.get_image(task_id)
                done += 1

        await asyncio.gather(*(poller(i) for i in ids))
        elapsed = time.perf_counter() - started
    return done / elapsed, in_flight / latency


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--levels", default="50,200,1000")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp()) / "bench-sim.db"
    proc, url = start_simulator(args.latency, state)
    try:
        print(
            f"simulator {url}, injected latency {args.latency * 1000:.0f} ms, {args.seconds:.0f} s per level"
        )
        print(f"{'in flight':>10} {'polls/s':>10} {'ideal':>10} {'ratio':>7}")
        for level in (int(x) for x in args.levels.split(",")):
            rate, ideal = asyncio.run(run_level(url, level, args.seconds, args.latency))
            print(f"{level:>10} {rate:>10.1f} {ideal:>10.1f} {rate / ideal:>7.2f}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
