"""Run the Zcheap simulator as a real HTTP server (point a team's base URL at it)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from zcheap.simulator import SimConfig, serve


class Command(BaseCommand):
    help = "Serve the built-in Zcheap simulator on a loopback port."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--speed", choices=["demo", "fast"], default="demo")
        parser.add_argument(
            "--latency", type=float, default=0.0, help="seconds added to every API call"
        )
        parser.add_argument(
            "--inject", default="", help="a failure marker applied to every submit, e.g. 429"
        )
        parser.add_argument("--db", default="", help="state file (default: ZCHEAP_SIMULATOR_DB)")
        parser.add_argument(
            "--lenient",
            action="store_true",
            help="accept what the real backend refuses (the simulator is strict by default)",
        )

    def handle(self, *args, host, port, speed, latency, inject, db, lenient, **options):
        path = Path(db) if db else Path(settings.ZCHEAP_SIMULATOR_DB)
        factory = SimConfig.fast if speed == "fast" else SimConfig.demo
        config = factory(state_path=path, latency=latency, inject=inject, strict=not lenient)
        mode = "lenient" if lenient else "strict"
        self.stdout.write(
            f"Zcheap simulator ({mode}) on http://{host}:{port} (state {path}); Ctrl-C stops it"
        )
        with contextlib.suppress(KeyboardInterrupt):
            serve(config, host, port)
