"""HTTP transport for high fan-out polling: many small connection pools instead of one big one.

httpcore's connection pool re-scans every queued request against every connection whenever a
request starts or ends (encode/httpcore#1035, encode/httpx#3215): with 100+ connections in one
pool that scan costs milliseconds of CPU per request and caps polling long before the network
does. SpreadTransport keeps the same number of keep-alive connections in pools of a few
connections each (one by default: the least CPU per poll in bench/bench_poll_http.py) and sends
every request to the pool with the fewest requests in flight, so each scan is short and
connections are still reused.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client of this process: httpx builds a new one per
    client otherwise (loading the CA bundle: ~10-40 ms of CPU), which was most of the cost of a
    submit or a download that builds a client for one request."""
    return httpx.create_ssl_context()


class SpreadTransport(httpx.AsyncBaseTransport):
    """Up to MAX_CONNECTIONS keep-alive connections in pools of PER_POOL."""

    def __init__(self, max_connections: int = 100, *, per_pool: int = 1, **transport_kwargs):
        per_pool = max(1, min(per_pool, max_connections))
        count = max(1, -(-max_connections // per_pool))
        limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
        self._pools = [
            httpx.AsyncHTTPTransport(limits=limits, verify=ssl_context(), **transport_kwargs)
            for _ in range(count)
        ]
        self._busy = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._pools)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._busy[index] -= 1
            raise
        # The connection is busy until the body is read and closed: count it until then.
        response.stream = _Counted(response.stream, lambda: self._done(index))
        return response

    def _done(self, index: int) -> None:
        self._busy[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _Counted(httpx.AsyncByteStream):
    """A response body that calls DONE once when it is closed."""

    def __init__(self, stream, done):
        self._stream, self._done = stream, done

    async def __aiter__(self):
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done()
