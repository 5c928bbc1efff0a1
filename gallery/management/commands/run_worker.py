"""Start a task worker: restart the poll and reconcile loops, then serve every lane.

A worker that was killed leaves its loop tasks marked as running forever (the database backend
does not recover them); the loops notice they are stale and this command restarts them, so work
left behind is picked up again.

Lanes (gallery/generation/lanes.py): submits, ingests, the loops and the rest each have their own
queue and their own workers, so none waits behind another. With the database backend they are
threads of django-tasks-db's worker in this process; with TASK_BACKEND=rq this process starts
one RQ worker (with its scheduler: the loops enqueue with `run_after`, which RQ keeps in its
scheduled registry until a scheduler moves it to the queue) per lane and restarts any that dies.
`--lane QUEUE` serves that one queue only (what the RQ lane processes run); `--lane poll` is the
poll process every worker starts (gallery/generation/poller.py): each worker polls, its claims
disjoint from the others' by the rows' leases.

Stopping: SIGTERM to the main process (systemd's KillMode=mixed) lets the tasks at hand finish
and write their results, so no row stays leased; only a SIGKILL leaves leases to expire
(WORKER_LEASE_SECONDS) before the reconcile loop hands the work to another worker.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gallery.generation import (
    POLL_LANE,
    ensure_loops,
    rq_lane_worker,
    run_database_lanes,
    run_lane_threads,
    run_poll_lane,
    run_rq_lanes,
)


class Command(BaseCommand):
    help = "Run the background worker (django-tasks-db or RQ) after restarting the gallery's loops."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=0.5, help="seconds between queue checks"
        )
        parser.add_argument("--lane", help="serve only this queue (default: every lane)")

    def handle(self, *args, interval, lane, **options):
        lanes = [*settings.TASK_QUEUES, POLL_LANE]
        if lane is not None and lane not in lanes:
            raise CommandError(f"--lane must be one of {', '.join(lanes)}")
        if lane is None:
            ensure_loops(restart=True)
        if lane == POLL_LANE:
            run_poll_lane()
        elif settings.TASK_BACKEND == "rq" and lane:
            rq_lane_worker(lane)
        elif settings.TASK_BACKEND == "rq":
            run_rq_lanes()
        elif lane:
            run_lane_threads(lane, interval)
        else:
            run_database_lanes(interval)
