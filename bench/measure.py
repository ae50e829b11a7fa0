"""Timing: repeat a call after warm-up runs and summarize the samples (median, p99)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Summary:
    """Latency samples in milliseconds, summarized."""

    count: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready numbers (3 decimals)."""
        return {
            name: round(value, 3) if isinstance(value, float) else value
            for name, value in self.__dict__.items()
        }


def percentile(sorted_samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted samples."""
    if not sorted_samples:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_samples)))
    return sorted_samples[rank - 1]


def summarize(samples_ms: Sequence[float]) -> Summary:
    """Median, p99, mean, min and max of ``samples_ms``."""
    ordered = sorted(samples_ms)
    if not ordered:
        return Summary(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    return Summary(
        count=len(ordered),
        p50_ms=statistics.median(ordered),
        p99_ms=percentile(ordered, 0.99),
        mean_ms=statistics.fmean(ordered),
        min_ms=ordered[0],
        max_ms=ordered[-1],
    )


def time_calls(call: Callable[[int], Any], iterations: int, warmup: int) -> Summary:
    """Run ``call(i)`` ``warmup`` times untimed, then ``iterations`` times timed one by one.

    ``i`` counts from 0 over all runs, so callers can rotate through inputs (search terms, pages).
    """
    for index in range(warmup):
        call(index)
    samples = []
    for index in range(warmup, warmup + iterations):
        started = time.perf_counter()
        call(index)
        samples.append((time.perf_counter() - started) * 1000)
    return summarize(samples)
