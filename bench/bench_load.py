"""Load: open tabs polling their live cards, and people browsing the gallery, against gunicorn
with production settings on loopback. One command:

    .venv/bin/python -m bench.bench_load [--tabs 200] [--cards 20] [--browsers 5] [--seconds 30]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zcheap_bench .venv/bin/python -m bench.bench_load

Each tab is its own signed-in person with CARDS running tasks, loaded at the start (the versions
the page showed); like the page's script it polls `/tasks/poll/` every 2 s with `id:version` of
its active cards and keeps the versions of the cards that come back. Meanwhile a stand-in worker writes "still processing" poll results through the
real `worker.apply_poll` (WORKER_RATE rows a second, in a process of its own), and every tenth write moves a task's
progress (something the card shows). Browsers load the gallery every 5 s and fetch its
thumbnails the way a browser with a cache does (nothing marked immutable is fetched twice).

The load generator is one asyncio process with a hand-written HTTP/1.1 GET (no httpx in the
measured loop), so it takes a small share of the machine; the figures end with the cores each
side used (gunicorn's processes, the load generator, the stand-in worker and, on PostgreSQL,
this database's backends) and warn when the machine was busy with other work.

Bounded on purpose: at most 500 tabs, at most 300 s, 127.0.0.1 only. Prints latency percentiles,
errors, how many poll replies carried cards, bytes on the wire and the machine's CPU use.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS is the proxy's job
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(PRODUCTION, STATIC_ROOT=tempfile.mkdtemp(prefix="zcheap-bench-static-"))
from bench.common import setup_django  # noqa: E402

TMP = setup_django()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.utils import timezone  # noqa: E402

MAX_TABS, MAX_SECONDS = 500, 300
CARD = re.compile(r'hx-swap-oob="outerHTML:#gen-(\d+)"')
ACTIVE = re.compile(r'data-active-card="(\d+):(\d+)"')
THUMB = re.compile(r'src="(/media/\d+/small/[^"]*)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def prepare(tabs: int, cards: int, items: int) -> list[tuple[str, dict[int, int]]]:
    """Users, their running tasks and signed-in sessions: (cookie, {card: version}) per tab."""
    from accounts.models import Membership, Team, User
    from gallery.models import Generation, State

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_gallery", "--count", str(items), "--team", "Load team")
    team = Team.objects.get(name="Load team")
    users = User.objects.bulk_create(
        [User(email=f"tab{i}@example.com", password="!") for i in range(tabs)]  # noqa: S106
    )
    Membership.objects.bulk_create([Membership(team=team, user=u, role="member") for u in users])
    now = timezone.now()
    Generation.objects.bulk_create(
        [
            Generation(
                team=team,
                user=u,
                kind="image",
                model="gemini-3-pro-image-preview",
                prompt=f"load test {i}",
                state=State.RUNNING,
                progress=50,
                remote_id=f"t{u.pk}-{i}",
                submitted_at=now,
                deadline_at=now + timezone.timedelta(hours=2),
            )
            for u in users
            for i in range(cards)
        ]
    )
    sessions = []
    for user in User.objects.filter(email__startswith="tab"):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        # What the page showed when it was loaded: the cards' versions at that moment.
        shown = {g.pk: g.version for g in Generation.objects.filter(user=user)}
        sessions.append((store.session_key, shown))
    return sessions[:tabs]


def stand_in_worker(rate: float, stop, counts) -> None:
    """Write poll results through the real worker code: mostly "still processing" (nothing the
    card shows changes), one in ten a step of progress."""
    from gallery.generation import worker
    from gallery.models import Generation, State
    from zcheap.types import ImageTask

    close_old_connections()  # a fresh connection of this process's own
    ids = list(Generation.objects.filter(state=State.RUNNING).values_list("pk", flat=True))
    rnd = random.Random(7)
    while not stop.is_set():
        started = time.perf_counter()
        for _ in range(max(1, int(rate / 10))):
            generation = Generation.objects.get(pk=rnd.choice(ids))
            if rnd.random() < 0.1:
                progress = min(97, generation.progress + 1)
                generation.transition(State.RUNNING, State.RUNNING, progress=progress)
                counts[1] += 1
            else:
                task = ImageTask(task_id=generation.remote_id, status="processing")
                worker.apply_poll(generation, task, timezone.now())
                counts[0] += 1
        close_old_connections()
        stop.wait(max(0.0, 0.1 - (time.perf_counter() - started)))


class Reply:
    """What the lean client keeps of an HTTP reply."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes, wire: int):
        self.status_code, self.headers, self.body, self.num_bytes_downloaded = (
            status,
            headers,
            body,
            wire,
        )

    @property
    def text(self) -> str:
        return self.body.decode()


async def get(port: int, path: str, cookie: str, headers: dict[str, str]) -> Reply:
    """One GET on a fresh loopback connection, HTTP/1.1 by hand (gunicorn's sync workers close
    the connection after each reply anyway). A few dozen microseconds of the client's CPU,
    against a millisecond or more through httpx: the load generator must not take the CPU the
    server is being measured on."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={cookie}\r\n"
            f"{extra}Connection: close\r\n\r\n".encode()
        )
        data = await reader.read(-1)
    finally:
        writer.close()
    head, _sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, _c, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    if "chunked" in fields.get("transfer-encoding", ""):
        raw, body = body, b""
        while raw:
            size, _crlf, rest = raw.partition(b"\r\n")
            n = int(size, 16)
            if not n:
                break
            body, raw = body + rest[:n], rest[n + 2 :]
    wire = len(body)
    if fields.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return Reply(int(lines[0].split()[1]), fields, body, wire)


async def tab(port: int, cookie: str, shown: dict[int, int], until: float, out: dict) -> None:
    versions = dict(shown)
    headers = {"HX-Request": "true", "Accept-Encoding": "gzip"}
    await asyncio.sleep(random.random() * 2)
    while time.monotonic() < until:
        started = time.perf_counter()
        query = ",".join(f"{pk}:{v}" for pk, v in versions.items())
        try:
            response = await get(port, f"/tasks/poll/?ids={quote(query)}", cookie, headers)
        except (OSError, ValueError, IndexError):
            out["errors"] += 1
        else:
            elapsed = time.perf_counter() - started
            if response.status_code not in (200, 286):
                out["errors"] += 1
            else:
                body = response.text
                for pk, version in ACTIVE.findall(body):
                    versions[int(pk)] = int(version)
                out["latency"].append(elapsed)
                out["steady"].append((started, elapsed))
                out["cards"].append(len(CARD.findall(body)))
                out["bytes"].append(response.num_bytes_downloaded)
        await asyncio.sleep(max(0.0, 2 - (time.perf_counter() - started)))


async def browser(port: int, cookie: str, until: float, out: dict) -> None:
    cached: set[str] = set()
    first = True
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            page = await get(port, "/gallery/", cookie, {"Accept-Encoding": "gzip"})
        except (OSError, ValueError, IndexError):
            out["errors"] += 1
            continue
        out["page"].append(time.perf_counter() - started)
        out["page_bytes"].append(page.num_bytes_downloaded)
        fetched = 0
        for url in THUMB.findall(page.text)[:54]:
            url = url.replace("&amp;", "&")
            if url in cached:
                continue
            t = time.perf_counter()
            response = await get(port, url, cookie, {})
            out["thumb"].append(time.perf_counter() - t)
            fetched += 1
            if response.status_code != 200:
                out["errors"] += 1
            if "immutable" in response.headers.get("cache-control", ""):
                cached.add(url)
        out["thumbs_first" if first else "thumbs_later"].append(fetched)
        first = False
        await asyncio.sleep(max(0.0, 5 - (time.perf_counter() - started)))


def process_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each of PIDS that is alive."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two samples, over the processes alive at both."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def database_backends() -> list[int]:
    """This database's PostgreSQL backend processes (persistent connections show up whole)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def run(port: int, sessions, browsers: int, seconds: float, out: dict) -> None:
    until = time.monotonic() + seconds
    jobs = [tab(port, cookie, shown, until, out) for cookie, shown in sessions]
    jobs += [browser(port, sessions[i % len(sessions)][0], until, out) for i in range(browsers)]
    await asyncio.gather(*jobs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tabs", type=int, default=200)
    parser.add_argument("--cards", type=int, default=20)
    parser.add_argument("--browsers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--items", type=int, default=2000, help="gallery items to browse")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="gunicorn workers (default: deploy/gunicorn.conf.py's)",
    )
    parser.add_argument("--threads", type=int, default=0, help="threads per gunicorn worker")
    parser.add_argument(
        "--sync",
        action="store_true",
        help="sync workers (the bench before 1 Dec) instead of gthread",
    )
    parser.add_argument("--worker-rate", type=float, default=50, help="poll results written/s")
    parser.add_argument(
        "--warm-up", type=float, default=10, help="seconds left out of the steady-state figures"
    )
    parser.add_argument("--conn-max-age", default="", help="override CONN_MAX_AGE (e.g. 0)")
    args = parser.parse_args()
    tabs, seconds = min(args.tabs, MAX_TABS), min(args.seconds, MAX_SECONDS)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop gunicorn when killed
    sessions = prepare(tabs, args.cards, args.items)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GUNICORN_BIND": f"127.0.0.1:{port}"}
    if args.conn_max_age:
        env["CONN_MAX_AGE"] = args.conn_max_age
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    # The deployment's own gunicorn settings (deploy/gunicorn.conf.py), as systemd starts it.
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
    if args.sync:
        command += ["-k", "sync"]
    server = subprocess.Popen(
        [*command, "zcheap_site.wsgi", "--log-level", "warning"], cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        connection.close()
        # Warm every worker (imports, first connection) before the clock starts.
        for _ in range(20):
            httpx.get(f"{base}/healthz", timeout=5)
        workers = children_of(server.pid)
        server_pids = [server.pid, *workers]
        out = {k: [] for k in ("latency", "cards", "bytes", "page", "page_bytes", "thumb")}
        out.update(errors=0, thumbs_first=[], thumbs_later=[], steady=[])
        # The stand-in worker runs in its own process, as the real one does (and so that it
        # does not share the tabs' interpreter lock).
        context = multiprocessing.get_context("fork")
        counts, stop = context.Array("i", 2), context.Event()
        writer = context.Process(target=stand_in_worker, args=(args.worker_rate, stop, counts))
        writer.start()
        time.sleep(1)  # the writer's start-up is not part of the measurement
        backends = database_backends()
        busy0, total0 = cpu_times()
        wall0, client0 = time.perf_counter(), time.process_time()
        server0, writer0, db0 = (
            process_cpu(server_pids),
            process_cpu([writer.pid]),
            process_cpu(backends),
        )
        started_at = time.perf_counter()
        asyncio.run(run(port, sessions, args.browsers, seconds, out))
        wall = time.perf_counter() - wall0
        cores = {
            "server (gunicorn)": cpu_between(server0, process_cpu(server_pids)) / wall,
            "load generator": (time.process_time() - client0) / wall,
            "stand-in worker": cpu_between(writer0, process_cpu([writer.pid])) / wall,
            "PostgreSQL backends": cpu_between(db0, process_cpu(backends)) / wall,
        }
        busy1, total1 = cpu_times()
        stop.set()
        writer.join()
    finally:
        server.terminate()
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
    polls = len(out["latency"])
    with_cards = sum(1 for n in out["cards"] if n)
    db = connection.vendor
    cma = args.conn_max_age or "default (60)"
    shape = "sync" if args.sync else f"gthread × {args.threads or 'conf'} threads"
    print(
        f"\n{db}, gunicorn -c deploy/gunicorn.conf.py, {len(workers)} workers ({shape}), "
        f"CONN_MAX_AGE {cma}, {seconds:.0f} s"
    )
    print(f"{tabs} tabs × {args.cards} live cards, {args.browsers} browsing; stand-in worker:")
    print(f"  {counts[0]} 'still processing' writes, {counts[1]} progress steps")
    print(
        f"card poll: {polls} polls, p50 {pct(out['latency'], 0.5) * 1000:.0f} ms, "
        f"p95 {pct(out['latency'], 0.95) * 1000:.0f} ms, p99 {pct(out['latency'], 0.99) * 1000:.0f} ms"
    )
    # The first seconds are a cold start: every thread opens its database connection, every
    # process compiles its templates, the browsers fetch all their thumbnails at once.
    steady = [elapsed for at, elapsed in out["steady"] if at - started_at >= args.warm_up]
    if steady:
        print(
            f"  after the first {args.warm_up:.0f} s: {len(steady)} polls, "
            f"p50 {pct(steady, 0.5) * 1000:.0f} ms, p95 {pct(steady, 0.95) * 1000:.0f} ms, "
            f"p99 {pct(steady, 0.99) * 1000:.0f} ms"
        )
    if polls:
        print(
            f"  replies with cards {with_cards / polls:.0%}, "
            f"{statistics.mean(out['cards']):.2f} cards and "
            f"{statistics.mean(out['bytes']) / 1024:.1f} KB on the wire per reply"
        )
    if out["page"]:
        print(
            f"gallery page: {len(out['page'])} views, p50 {pct(out['page'], 0.5) * 1000:.0f} ms, "
            f"p95 {pct(out['page'], 0.95) * 1000:.0f} ms, "
            f"{statistics.mean(out['page_bytes']) / 1024:.1f} KB on the wire"
        )
        later = out["thumbs_later"]
        print(
            f"thumbnails: {len(out['thumb'])} fetched (first view "
            f"{statistics.mean(out['thumbs_first']):.0f}, later views "
            f"{statistics.mean(later) if later else float('nan'):.1f} each), "
            f"p50 {pct(out['thumb'], 0.5) * 1000:.0f} ms"
        )
    print(f"errors: {out['errors']}; machine CPU {(busy1 - busy0) / (total1 - total0):.0%}")
    load = os.getloadavg()[0]
    used = ", ".join(
        f"{name} {value:.2f}" for name, value in cores.items() if value or "Post" not in name
    )
    print(f"cores used: {used} (of {os.cpu_count()}; load average {load:.1f})")
    if load > (os.cpu_count() or 1):
        print("  the machine was busy with other work: latencies are not the app's")


if __name__ == "__main__":
    main()
