"""Timing: repeat a call after warm-up runs and summarize the samples (median, p99)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
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


def interleaved(
    calls: Mapping[str, Callable[[int], Any]],
    *,
    warmup: int,
    iterations: int,
    budget_s: float,
    rounds: int = 10,
) -> dict[str, list[float]]:
    """Time each call: untimed warm-up runs, then timed runs in ``rounds`` alternating between the calls.

    Alternating means background load on the machine hits every side alike. ``call(i)`` gets a running
    number so callers can rotate through inputs. A side whose warm-up shows it cannot do
    ``iterations`` runs in ``budget_s`` seconds gets fewer (at least ``rounds``): slow paths are
    measured, not waited on for hours. Returns the samples in milliseconds per call name.
    """
    per_call: dict[str, float] = {}
    for name, call in calls.items():
        started = time.perf_counter()
        done = 0
        while done < max(1, warmup) and (done < 2 or time.perf_counter() - started < budget_s / 4):
            call(done)
            done += 1
        per_call[name] = (time.perf_counter() - started) / done
    counts = {
        name: max(rounds, min(iterations, int(budget_s / max(cost, 1e-6)))) for name, cost in per_call.items()
    }
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for round_number in range(rounds):
        for name, call in calls.items():
            per_round = math.ceil(counts[name] / rounds)
            for index in range(per_round):
                number = warmup + round_number * per_round + index
                started = time.perf_counter()
                call(number)
                samples[name].append((time.perf_counter() - started) * 1000)
    return samples
