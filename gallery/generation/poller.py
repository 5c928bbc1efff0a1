"""The poll lane: every `run_worker` polls, continuously, in a process of its own.

Before, one self-rescheduling poll task served the whole fleet (a token in WorkerLoop), made a
new HTTP client per batch and waited for each batch's requests before claiming the next. Now
each worker's poll process runs POLL_PIPELINES batches at once: a pipeline claims a batch of due
rows (the lease makes claims of different pipelines and workers disjoint, so a row is never
polled twice at once), sends its requests, and writes the results while the others are in the
air. HTTP requests of the whole process are bounded by POLL_CONCURRENCY; one long-lived client
per team keeps its connections open between batches, spread over small connection pools
(zcheap.http.SpreadTransport: one big httpcore pool costs milliseconds of CPU per request).

Database work runs in a small thread pool (Django's ORM is synchronous); the event loop only
sends requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, connections
from django.db.models import Min

from gallery.models import Generation
from zcheap import errors as e
from zcheap.http import SpreadTransport

from . import worker

log = logging.getLogger(__name__)

IDLE_MAX = 1.0  # seconds: how long an idle pipeline sleeps before it looks again at most
IDLE_MIN = 0.1  # seconds: rows due within this are claimed together
# Phases after which nothing changed for the submit queue: a batch of only these does not
# look for submits to send (a cap slot frees when a task ends), except every DISPATCH_EVERY.
QUIET_PHASES = frozenset({"waiting", "running", "error", "late"})
DISPATCH_EVERY = 1.0
MAX_CLIENTS = 64  # long-lived clients kept (one per team key); the least recently used closes


class Poller:
    def __init__(
        self,
        *,
        concurrency: int | None = None,
        batch_size: int | None = None,
        pipelines: int | None = None,
    ):
        self.concurrency = concurrency or settings.POLL_CONCURRENCY
        self.batch_size = batch_size or settings.POLL_BATCH_SIZE
        self.pipelines = pipelines or settings.POLL_PIPELINES
        self.polled = 0
        self._dispatched_at = 0.0
        self._clients: OrderedDict[tuple, object] = OrderedDict()
        self._db = ThreadPoolExecutor(self.pipelines, thread_name_prefix="poll-db")

    # --- running ---------------------------------------------------------------------------
    def run(self, stopping: threading.Event) -> None:
        """Poll until STOPPING is set; the batches in the air are written before returning."""
        try:
            asyncio.run(self._main(stopping))
        finally:
            self._close_connections()
            self._db.shutdown(wait=True)

    def _close_connections(self) -> None:
        """Close each database thread's connection in that thread: a barrier holds every close
        until all have started, so each runs on a thread of its own."""
        barrier = threading.Barrier(self.pipelines)

        def close() -> None:
            connections.close_all()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)

        for _ in range(self.pipelines):
            self._db.submit(close)

    async def _main(self, stopping: threading.Event) -> None:
        self._limit = asyncio.Semaphore(self.concurrency)
        # One pipeline claims at a time; an idle one sleeps holding the turn, so a quiet
        # process looks at the database once per wake-up, not once per pipeline (a trickle of
        # due rows had eight pipelines of two processes each claiming one row at a time).
        self._claiming = asyncio.Lock()
        try:
            await asyncio.gather(*(self._pipeline(stopping) for _ in range(self.pipelines)))
        finally:
            for client in self._clients.values():
                await client.aclose()
            self._clients.clear()

    async def _pipeline(self, stopping: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stopping.is_set():
            try:
                async with self._claiming:
                    if stopping.is_set():  # stopped while waiting for the turn
                        break
                    batch = await loop.run_in_executor(self._db, self._claim)
                    if not batch:
                        wait = await loop.run_in_executor(self._db, _until_next_due)
                        await asyncio.sleep(wait)
                        continue
                results = await self.fetch(batch)
                await loop.run_in_executor(self._db, self._write, batch, results)
            except Exception:  # the database is away for a moment: back off, keep the process
                log.exception("poll pipeline failed; trying again in a second")
                await asyncio.sleep(1.0)

    # --- steps -----------------------------------------------------------------------------
    def _claim(self) -> list[Generation]:
        close_old_connections()
        return worker.claim_due(worker._now(), self.batch_size)

    def _write(self, batch: list[Generation], results: dict) -> None:
        from .tasks import dispatch_ingests, dispatch_submits

        close_old_connections()
        failed = [r for r in results.values() if isinstance(r, e.ZcheapError)]
        if failed:  # tried again at the next poll time; say so, a pattern here matters
            log.warning(
                "%d of %d polls failed (first: %s); they are tried again later",
                len(failed),
                len(batch),
                failed[0].upstream_message or type(failed[0]).__name__,
            )
        outcomes = worker.apply_polls(batch, results, worker._now())
        phases = set(outcomes.values())
        if "success" in phases:
            dispatch_ingests()  # in fair order (fairness.py), a lane's worth at a time
        now = time.monotonic()
        if phases - QUIET_PHASES or now - self._dispatched_at >= DISPATCH_EVERY:
            self._dispatched_at = now
            dispatch_submits()  # slots this batch freed, backoffs that ended
        self.polled += len(batch)

    async def fetch(self, batch: list[Generation]) -> dict[int, object]:
        by_team = defaultdict(list)
        for generation in batch:
            by_team[generation.team_id].append(generation)
        results: dict[int, object] = {}
        for part in await asyncio.gather(*(self._fetch_team(gens) for gens in by_team.values())):
            results.update(part)
        return results

    async def _fetch_team(self, generations: list[Generation]) -> dict[int, object]:
        team = generations[0].team
        try:
            client = self._client(team)
        except e.ZcheapError as exc:  # e.g. the key was removed with demo mode off: try later
            return {generation.pk: exc for generation in generations}
        return await worker._fetch_with(_Bounded(client, self._limit), generations)

    def _client(self, team):
        """The team's long-lived client (a new one when its key or URL changed)."""
        from .zcheap_team import async_client_for_team

        key = (team.pk, team.demo_mode, team.effective_base_url, team.api_key)
        client = self._clients.get(key)
        if client is None:
            kwargs = {"max_retries": 0, "max_concurrency": self.concurrency}
            if not team.demo_mode:
                kwargs["transport"] = SpreadTransport(self.concurrency, per_pool=POOL_SIZE)
            client = async_client_for_team(team, **kwargs)
            self._clients[key] = client
            while len(self._clients) > MAX_CLIENTS:
                _, old = self._clients.popitem(last=False)
                asyncio.get_running_loop().create_task(old.aclose())
        self._clients.move_to_end(key)
        return client


POOL_SIZE = 1  # connections per httpcore pool (bench/bench_poll_http.py: least CPU per poll)


class _Bounded:
    """A client whose requests also count against the process-wide limit."""

    def __init__(self, client, limit: asyncio.Semaphore):
        self._client, self._limit = client, limit

    def __getattr__(self, name):
        method = getattr(self._client, name)

        async def bounded(*args, **kwargs):
            async with self._limit:
                return await method(*args, **kwargs)

        return bounded


def _until_next_due() -> float:
    """Seconds until the next row is due (at most IDLE_MAX, at least IDLE_MIN)."""
    close_old_connections()
    now = worker._now()
    due = Generation.objects.filter(worker._due(now)).aggregate(at=Min("next_poll_at"))["at"]
    if due is None:
        return IDLE_MAX
    return min(IDLE_MAX, max(IDLE_MIN, (due - now) / timedelta(seconds=1)))


def run_poll_lane() -> None:
    """`run_worker --lane poll`: poll until SIGTERM/SIGINT (the batches in the air are written)."""
    import signal

    stopping = threading.Event()

    def stop(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        Poller().run(stopping)
    finally:
        connection.close()
