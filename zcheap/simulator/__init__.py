"""The built-in Zcheap simulator (demo mode and tests). See README.md here for the markers."""

from __future__ import annotations

from .app import SimulatorApp
from .config import SimConfig
from .server import (
    IN_PROCESS_BASE_URL,
    async_in_process_transport,
    in_process_transport,
    running_simulator,
    serve,
)

__all__ = [
    "IN_PROCESS_BASE_URL",
    "SimConfig",
    "SimulatorApp",
    "async_in_process_transport",
    "in_process_transport",
    "running_simulator",
    "serve",
]
