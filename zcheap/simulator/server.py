"""Running the simulator: in-process transports (demo mode) and a real loopback server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socketserver
import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx

from .app import SimulatorApp
from .config import SimConfig

# The host name in-process simulator URLs carry. ".invalid" can never resolve, so a URL that
# leaks out of the in-process path fails loudly instead of reaching some real host.
IN_PROCESS_BASE_URL = "http://zcheap-simulator.invalid"


class _AsyncWSGITransport(httpx.AsyncBaseTransport):
    """Run the WSGI simulator in a thread for AsyncZcheapClient (httpx has no async WSGI transport)."""

    def __init__(self, app: SimulatorApp):
        self._sync = httpx.WSGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        sync_request = httpx.Request(
            request.method, request.url, headers=request.headers, content=body
        )

        def call() -> tuple[int, httpx.Headers, bytes]:
            response = self._sync.handle_request(sync_request)
            return response.status_code, response.headers, response.read()

        timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            status, headers, content = await asyncio.wait_for(asyncio.to_thread(call), timeout)
        except TimeoutError:
            raise httpx.ReadTimeout("simulator did not answer in time", request=request) from None
        return httpx.Response(status, headers=headers, content=content, request=request)


class _TimeoutWSGITransport(httpx.BaseTransport):
    """httpx's WSGITransport has no socket, so no timeouts: enforce the read timeout here, so a
    [sim:hang] in demo mode times out exactly like a real server that stops answering."""

    _pool = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="zcheap-sim")

    def __init__(self, app: SimulatorApp):
        self._sync = httpx.WSGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = (request.extensions.get("timeout") or {}).get("read")
        body = request.read()
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)

        def call() -> tuple[int, httpx.Headers, bytes]:
            response = self._sync.handle_request(copy)
            return response.status_code, response.headers, response.read()

        future = self._pool.submit(call)
        try:
            status, headers, content = future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise httpx.ReadTimeout("simulator did not answer in time", request=request) from None
        return httpx.Response(status, headers=headers, content=content, request=request)


_apps: dict[tuple, SimulatorApp] = {}
_apps_lock = threading.Lock()


def app_for(config: SimConfig) -> SimulatorApp:
    """One app per config in a process (state lives in the SQLite file anyway)."""
    key = (str(config.state_path), repr(config))
    with _apps_lock:
        if key not in _apps:
            _apps[key] = SimulatorApp(config)
        return _apps[key]


def in_process_transport(config: SimConfig) -> httpx.BaseTransport:
    return _TimeoutWSGITransport(app_for(config))


def async_in_process_transport(config: SimConfig) -> httpx.AsyncBaseTransport:
    return _AsyncWSGITransport(app_for(config))


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # keep test and benchmark output clean
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 2048  # the benchmark keeps 1,000 slow requests in flight


def make_loopback_server(
    config: SimConfig, host: str = "127.0.0.1", port: int = 0, quiet: bool = True
):
    return make_server(
        host,
        port,
        app_for(config),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler if quiet else WSGIRequestHandler,
    )


def serve(config: SimConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run a real HTTP simulator until interrupted (manage.py zcheap_simulator)."""
    server = make_loopback_server(config, host, port, quiet=False)
    with server:
        server.serve_forever()


@contextlib.contextmanager
def running_simulator(config: SimConfig | None = None) -> Iterator[str]:
    """Start a loopback simulator on an ephemeral port in a thread; yield its base URL."""
    server = make_loopback_server(config or SimConfig.fast())
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
