"""gunicorn settings for Zcheap Studio (`gunicorn -c deploy/gunicorn.conf.py zcheap_site.wsgi`).

Threads, not only processes: a streamed ZIP or a slow S3 read holds a thread, not a whole worker,
and with gthread a long request is not mistaken for a hung worker. Environment variables
override each value (GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_PRELOAD).

Warm workers: the master loads the app (`preload_app`) and warms it (zcheap_site/warmup.py:
templates compiled, catalogues and formats loaded, URLconf walked) before it forks, so every
worker, including one started after `max_requests` or a HUP, is a copy of a warm process and no
request pays for a cold one. The master opens no database connection or cache client, and closes
any before each fork (`pre_fork`). The price: a HUP replaces the workers with copies of the
master, so it re-reads this file but not the code; new code needs a restart of the master (see
README, "Upgrade"). GUNICORN_PRELOAD=false loads the code in each worker instead (a HUP then
picks up new code), and each worker warms itself before it takes its first request.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 120  # a worker silent this long is restarted (nginx gives up on a request after 60 s)
graceful_timeout = 30  # on SIGTERM/HUP, requests in progress get this long to finish
keepalive = 75  # matches nginx's upstream keepalive
max_requests = 2000  # recycle workers now and then (bounded memory growth)
max_requests_jitter = 200
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = None  # nginx writes the access log, with the request id
errorlog = "-"
capture_output = True
proc_name = "zcheap-studio"
# gunicorn >= 25 opens a control socket in $HOME by default; systemd's signals are our control
# (and ProtectHome= would refuse it anyway).
control_socket_disable = True
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").strip().lower() not in {
    "0",
    "false",
    "no",
    "off",
}


def when_ready(server) -> None:
    """Master, sockets bound, before the first fork: warm the preloaded app."""
    if preload_app:
        _warm(server.log)


def pre_fork(server, worker) -> None:
    """Master, before each fork: no database connection may be shared with a child."""
    if preload_app:
        from django.db import connections

        connections.close_all()


def post_worker_init(worker) -> None:
    """Worker, app loaded, before its first request: without preload each worker warms itself."""
    if not preload_app:
        _warm(worker.log)


def _warm(log) -> None:
    from zcheap_site.warmup import warm

    try:
        done = warm()
    except Exception:  # a cold worker still serves: never refuse to start over the warm-up
        log.exception("warm-up failed; workers start cold")
        return
    log.info(
        "warmed in %.2f s: %d templates, %d translations, %d static URLs",
        done["seconds"],
        done["templates"],
        done["translations"],
        done["static"],
    )
