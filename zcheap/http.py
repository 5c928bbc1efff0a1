"""HTTP transport for high fan-out polling: many small connection pools instead of one big one.

httpcore's connection pool re-scans every queued request against every connection whenever a
request starts or ends (encode/httpcore#1035, encode/httpx#3215): with 100+ connections in one
pool that scan costs milliseconds of CPU per request and caps polling long before the network
does. SpreadTransport keeps the same number of keep-alive connections in pools of a few
connections each and sends every request to the pool with the fewest requests in flight, so
each scan is short and connections are still reused (bench/bench_poll_http.py measures it).
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

    def __init__(self, max_connections: int = 100, *, per_pool: int = 10, **transport_kwargs):
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
            # The body is read by the client before the request counts as done for the pool,
            # but the choice above only needs a rough balance: count the request as done here.
            return response
        finally:
            self._busy[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()
