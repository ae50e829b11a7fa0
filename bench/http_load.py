"""A small HTTP load generator: a thread pool of keep-alive ``http.client`` connections.

Each thread owns one connection and sends requests back to back (closed loop). Requests that start
during the warm-up window are sent but not counted; throughput is completed requests in the measured
window divided by its length, latency is per request from send to fully read response.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.measure import Summary, summarize


@dataclass(frozen=True)
class Request:
    """One request to send."""

    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadResult:
    """What a load run measured."""

    requests: int
    errors: int
    seconds: float
    latency: Summary
    #: first unexpected status and body, to tell why errors happened
    first_error: str | None = None

    @property
    def rate(self) -> float:
        """Completed requests per second in the measured window."""
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values."""
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "requests_per_s": round(self.rate, 1),
            **self.latency.as_dict(),
            "first_error": self.first_error,
        }


def send(connection: http.client.HTTPConnection, request: Request) -> tuple[int, bytes]:
    """Send ``request`` on ``connection`` and read the whole response."""
    connection.request(request.method, request.path, body=request.body, headers=request.headers)
    response = connection.getresponse()
    return response.status, response.read()


def drive(
    host: str,
    port: int,
    requests: Sequence[Request] | Callable[[int], Request],
    *,
    expect_status: int,
    concurrency: int,
    warmup_s: float,
    duration_s: float,
) -> LoadResult:
    """Send requests from ``concurrency`` threads for ``warmup_s + duration_s`` seconds and measure.

    ``requests`` is a sequence used in order (cycled), or a function of the request's sequence number.
    """
    counter = itertools.count()
    pick = requests if callable(requests) else (lambda number: requests[number % len(requests)])
    start = time.perf_counter()
    measure_from = start + warmup_s
    stop_at = measure_from + duration_s
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    first_error: list[str] = []

    def worker() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        local: list[float] = []
        local_errors = 0
        try:
            while True:
                request = pick(next(counter))
                sent = time.perf_counter()
                if sent >= stop_at:
                    break
                try:
                    status, body = send(connection, request)
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    status, body = -1, repr(error).encode()
                done = time.perf_counter()
                if status != expect_status:
                    local_errors += 1
                    if not first_error:
                        first_error.append(f"{status} {body[:300]!r}")
                elif sent >= measure_from and done <= stop_at:
                    local.append((done - sent) * 1000)
        finally:
            connection.close()
            with lock:
                latencies.extend(local)
                errors[0] += local_errors

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(
        requests=len(latencies),
        errors=errors[0],
        seconds=duration_s,
        latency=summarize(latencies),
        first_error=first_error[0] if first_error else None,
    )
