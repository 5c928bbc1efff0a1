"""gunicorn settings for Zcheap Studio (`gunicorn -c deploy/gunicorn.conf.py zcheap_site.wsgi`).

Threads, not only processes: a streamed ZIP or a slow S3 read holds a thread, not a whole worker,
and with gthread a long request is not mistaken for a hung worker. Environment variables
override each value (GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS).
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
