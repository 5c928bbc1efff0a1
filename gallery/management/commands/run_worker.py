"""Start a task worker: restart the poll and reconcile loops, then run the queue's worker.

A worker that was killed leaves its loop tasks marked as running forever (the database backend
does not recover them); the loops notice they are stale and this command restarts them, so work
left behind is picked up again. The worker is django-tasks-db's `db_worker`, or with
TASK_BACKEND=rq django-rq's `rqworker` with its scheduler (the loops enqueue with `run_after`,
which RQ keeps in its scheduled registry until a scheduler moves it to the queue; our worker
class takes the scheduler over within seconds when the worker holding it stops).

Stopping: SIGTERM to the main process (systemd's KillMode=mixed) lets the task at hand finish
and write its result, so no row stays leased; only a SIGKILL leaves leases to expire
(WORKER_LEASE_SECONDS) before the reconcile loop hands the work to another worker.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from gallery.generation import ensure_loops


class Command(BaseCommand):
    help = "Run the background worker (django-tasks-db or RQ) after restarting the gallery's loops."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=0.5, help="seconds between queue checks"
        )
        parser.add_argument("--queue-name", default="default")

    def handle(self, *args, interval, queue_name, **options):
        ensure_loops(restart=True)
        if settings.TASK_BACKEND == "rq":
            call_command(
                "rqworker",
                queue_name,
                with_scheduler=True,
                job_class="django_tasks_rq.Job",
                worker_class="gallery.generation.rq_worker.Worker",
            )
        else:
            call_command("db_worker", interval=interval, queue_name=queue_name)
