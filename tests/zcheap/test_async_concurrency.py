"""The async client's concurrency cap, measured at a local server that counts requests in
flight (the worker polls hundreds of tasks at once; Zcheap must never see more than the cap)."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from gallery.generation.worker import run_async
from zcheap.client import AsyncZcheapClient

CAP = 4
REQUESTS = 16
HOLD = 0.2


class CountingServer(ThreadingHTTPServer):
    """Answers image-task polls slowly (HOLD seconds, like a busy upstream), so requests of a
    client overlap as much as it lets them; a request beyond the cap ends the hold at once."""

    daemon_threads = True
    request_queue_size = 64  # the listen backlog must not be what limits concurrency

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Condition()
        self.in_flight = 0
        self.most = 0
        self.served = 0


class _Handler(BaseHTTPRequestHandler):
    server: CountingServer

    def log_message(self, *args):  # keep the test output quiet
        pass

    def do_GET(self):
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.most = max(server.most, server.in_flight)
            server.lock.notify_all()
            server.lock.wait_for(lambda: server.in_flight > CAP, timeout=HOLD)
        body = json.dumps(
            {"data": {"task_id": self.path.rsplit("/", 1)[-1], "status": "processing"}}
        ).encode()
        with server.lock:
            server.in_flight -= 1
            server.served += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    server = CountingServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize("own_transport", [False, True], ids=["default-pool", "own-transport"])
def test_the_async_client_never_has_more_than_its_cap_in_flight(server, own_transport):
    """With its own pool the cap comes from the connection limits too; with a transport of its
    own (a proxy, a test transport) only the client's semaphore holds it."""
    host, port = server.server_address[:2]

    async def poll_all():
        transport = httpx.AsyncHTTPTransport() if own_transport else None
        async with AsyncZcheapClient(
            f"http://{host}:{port}", "k", max_concurrency=CAP, transport=transport, max_retries=0
        ) as client:
            return await asyncio.gather(*(client.get_image(f"t{i}") for i in range(REQUESTS)))

    tasks = run_async(poll_all())
    assert [task.task_id for task in tasks] == [f"t{i}" for i in range(REQUESTS)]
    assert server.served == REQUESTS
    assert server.most == CAP  # the cap is reached (requests do overlap) and never exceeded
