"""A fast fake Zcheap for worker benchmarks: asyncio, keep-alive, a fixed delay per API request.

The standalone simulator answers one request at a time and closes every connection, so it, not
our worker, was the ceiling of earlier benchmarks. This one answers thousands of concurrent
requests (bounded by MAX_CONNECTIONS) on loopback, each after DELAY seconds, and records when
each task was submitted, when it finished upstream and when our worker first saw it finished.

Only the image API is faked (submit, task status, result file): what the worker does for every
kind (submit, poll, download) is exercised by it.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import threading
import time
from dataclasses import dataclass, field

MAX_CONNECTIONS = 8000


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 80, 40)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Task:
    created: float  # time.time()
    run_s: float
    seen_done: float | None = None  # first poll that answered "succeeded"
    polling: int = 0  # polls of this task in the air right now
    downloads: int = 0

    @property
    def done_at(self) -> float:
        return self.created + self.run_s


@dataclass
class FakeUpstream:
    delay: float = 0.3
    run_s: float = 5.0
    tasks: dict[str, Task] = field(default_factory=dict)
    submits: list[float] = field(default_factory=list)
    polls: int = 0
    # What our worker must never do (issue 18): poll a task while another poll of it is in the
    # air, poll it again after it answered "succeeded", fetch a result twice, submit twice.
    overlapping_polls: int = 0
    polls_after_done: int = 0
    submitted_prompts: dict[str, int] = field(default_factory=dict)
    open_connections: int = 0
    refused: int = 0
    port: int = 0

    def __post_init__(self):
        self._ids = itertools.count(1)
        self._png = _png()
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_task(self, run_s: float) -> str:
        """A task already submitted (for in-flight load without paying for submits)."""
        task_id = f"img_{next(self._ids)}"
        self.tasks[task_id] = Task(created=time.time(), run_s=run_s)
        return task_id

    # --- serving ---------------------------------------------------------------------------
    def start(self) -> FakeUpstream:
        threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True).start()
        self._ready.wait(10)
        return self

    async def _serve(self) -> None:
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=4096)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await server.serve_forever()

    async def _connection(self, reader, writer) -> None:
        if self.open_connections >= MAX_CONNECTIONS:
            self.refused += 1
            writer.close()
            return
        self.open_connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
                }
                length = int(headers.get("content-length") or 0)
                payload = await reader.readexactly(length) if length else b""
                status, body, ctype = await self._answer(method, path, payload)
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self.open_connections -= 1
            writer.close()

    @property
    def double_submits(self) -> int:
        return sum(n - 1 for n in self.submitted_prompts.values())

    @property
    def double_downloads(self) -> int:
        return sum(max(0, t.downloads - 1) for t in self.tasks.values())

    async def _answer(self, method: str, path: str, payload: bytes) -> tuple[int, bytes, str]:
        if path.startswith("/media/"):
            task = self.tasks.get(path.rsplit("/", 1)[1].removesuffix(".png"))
            if task is not None:
                task.downloads += 1
            return 200, self._png, "image/png"
        task = None
        if method == "GET" and path.startswith("/v1/images/generations/"):
            task = self.tasks.get(path.rsplit("/", 1)[1])
            if task is not None:
                self.overlapping_polls += task.polling > 0
                task.polling += 1
        try:
            await asyncio.sleep(self.delay)
        finally:
            if task is not None:
                task.polling -= 1
        now = time.time()
        if method == "POST" and path == "/v1/images/generations":
            try:
                prompt = str(json.loads(payload or b"{}").get("prompt", ""))
            except ValueError:
                prompt = ""
            self.submitted_prompts[prompt] = self.submitted_prompts.get(prompt, 0) + 1
            self.submits.append(now)
            task_id = f"img_{next(self._ids)}"
            self.tasks[task_id] = Task(created=now, run_s=self.run_s)
            return _json({"id": task_id, "status": "queued", "created_at": int(now)})
        if method == "GET" and path.startswith("/v1/images/generations/"):
            self.polls += 1
            task_id = path.rsplit("/", 1)[1]
            task = self.tasks.get(task_id)
            if task is None:
                return 404, *_json({"error": {"message": "task not found"}})[1:]
            if now < task.done_at:
                return 200, *_json({"data": {"task_id": task_id, "status": "processing"}})[1:]
            self.polls_after_done += task.seen_done is not None
            task.seen_done = task.seen_done or now
            url = f"{self.url}/media/{task_id}.png"
            body = {"data": {"task_id": task_id, "status": "succeeded", "url": url}}
            return 200, *_json(body)[1:]
        return 404, *_json({"error": {"message": "no route"}})[1:]


def _json(data) -> tuple[int, bytes, str]:
    return 200, json.dumps(data).encode(), "application/json"


def main() -> None:
    """Serve on its own (a process of its own, so a benchmark's CPU figures are the client's):
    prints the port, then serves until killed. Tasks img_1..img_N are in flight for an hour."""
    import argparse
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--tasks", type=int, default=0)
    args = parser.parse_args()
    fake = FakeUpstream(delay=args.delay)
    for _ in range(args.tasks):
        fake.add_task(run_s=3600)
    fake.start()
    print(fake.port, flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or kills us)


if __name__ == "__main__":
    main()
