"""Prometheus metrics kept in Redis, so every process adds to the same numbers.

prometheus_client's registry lives in one process's memory, but a webhook lands on any of
several gunicorn workers and its job runs in a separate worker process (or dyno). So
counters live in one Redis hash, each field naming a series as JSON ``[name, labels]``, and
histogram buckets are stored the way Prometheus exposes them (cumulative), which makes one
observation a handful of HINCRBYs and the scrape a single HGETALL.

Writes are best effort: a metric must never fail a webhook or a sync, so Redis errors while
counting are swallowed (the webhook's own 503 path already reports an unreachable Redis).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from worker.stores.keys import Keys

NAMESPACE = "lockme_sync"

COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "webhooks": ("Webhook calls received, by outcome.", ("outcome",)),
    "jobs": ("Message jobs run, by outcome.", ("outcome",)),
    "job_retries": ("Message jobs scheduled for another attempt after a transient error.", ()),
    "dead_letters": ("Messages recorded as failures that need a person or a replay.", ()),
    "api_calls": ("HTTP calls to Lockme and Google, by service and status.", ("service", "status")),
    "api_errors": (
        "HTTP calls to Lockme and Google that failed (4xx, 5xx or network), by service and status.",
        ("service", "status"),
    ),
}
# Webhook receipt → ack: seconds for the common path, minutes to hours through retries.
HISTOGRAMS: dict[str, tuple[str, tuple[float, ...]]] = {
    "latency_seconds": (
        "Time from a webhook's first receipt to the acknowledgement of its message.",
        (0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
    ),
}


class Gauge(NamedTuple):
    """A value read at scrape time (queue depth, connections), not kept in Redis."""

    name: str
    documentation: str
    labels: dict[str, str]
    value: float


def _field(name: str, labels: dict[str, str]) -> str:
    return json.dumps([name, labels], sort_keys=True, separators=(",", ":"))


def counter_field(name: str, **labels: str) -> str:
    """The hash field of a counter declared in :data:`COUNTERS` (a typo fails loudly).

    Public so that a Lua script (the webhook intake) can count in the same round trip."""
    if name not in COUNTERS or set(labels) != set(COUNTERS[name][1]):
        raise ValueError(f"unknown counter or labels: {name} {sorted(labels)}")
    return _field(name, labels)


# Counts made inside ``batch`` wait here (field → amount) until its end.
_pending: ContextVar[dict[str, float] | None] = ContextVar("lockme_metrics_batch", default=None)


def _add(client: redis.Redis, keys: Keys, field: str, amount: float) -> None:
    pending = _pending.get()
    if pending is None:
        with batch(client, keys):
            _add(client, keys, field, amount)
        return
    pending[field] = pending.get(field, 0) + amount


@contextmanager
def batch(client: redis.Redis, keys: Keys) -> Iterator[None]:
    """Write the counts made inside the block in one round trip, when it ends (raising or
    not); a block inside another joins the outer one. A message job counts its API calls,
    its outcome and its latency: one write each was a sizeable share of the worker's Redis
    round trips per booking (figures: docs/benchmarks.md)."""
    if _pending.get() is not None:
        yield
        return
    pending: dict[str, float] = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
        if pending:
            pipe = client.pipeline(transaction=False)
            for field, amount in pending.items():
                if isinstance(amount, int):
                    pipe.hincrby(keys.metrics, field, amount)
                else:
                    pipe.hincrbyfloat(keys.metrics, field, amount)
            with contextlib.suppress(redis.RedisError):
                pipe.execute()


def incr(client: redis.Redis, keys: Keys, name: str, amount: int = 1, **labels: str) -> None:
    """Add to a counter declared in :data:`COUNTERS`."""
    _add(client, keys, counter_field(name, **labels), amount)


def observe(client: redis.Redis, keys: Keys, name: str, value: float) -> None:
    """Record one observation in a histogram declared in :data:`HISTOGRAMS`."""
    with batch(client, keys):
        for bound in HISTOGRAMS[name][1]:
            if value <= bound:
                _add(client, keys, _field(f"{name}_bucket", {"le": floatToGoString(bound)}), 1)
        _add(client, keys, _field(f"{name}_count", {}), 1)
        _add(client, keys, _field(f"{name}_sum", {}), float(value))


def api_call(client: redis.Redis, keys: Keys, service: str, status: int | str) -> None:
    """Count one HTTP call; ``status`` is the HTTP status or ``network`` when none came back."""
    status = str(status)
    incr(client, keys, "api_calls", service=service, status=status)
    if not status.isdigit() or int(status) >= 400:
        incr(client, keys, "api_errors", service=service, status=status)


def observe_sync_latency(client: redis.Redis, keys: Keys, received_at: float | None) -> None:
    """At the ack: observe the time since the message's webhook first arrived (when known:
    a replayed or reconciled message has no webhook)."""
    if received_at is not None:
        observe(client, keys, "latency_seconds", max(0.0, time.time() - received_at))


class _Collector:
    """Turns the Redis hash and the scrape-time gauges into metric families."""

    def __init__(self, stored: dict[bytes, bytes], gauges: Iterable[Gauge]) -> None:
        self.stored = stored
        self.gauges = list(gauges)

    def _series(self) -> dict[str, list[tuple[dict[str, str], float]]]:
        series: dict[str, list[tuple[dict[str, str], float]]] = {}
        for raw, value in self.stored.items():
            name, labels = json.loads(raw)
            series.setdefault(name, []).append((labels, float(value)))
        return series

    def collect(self) -> Iterator[Metric]:
        series = self._series()
        for name, (doc, label_names) in COUNTERS.items():
            family = CounterMetricFamily(f"{NAMESPACE}_{name}", doc, labels=label_names)
            samples = series.get(name) or ([({}, 0.0)] if not label_names else [])
            for labels, value in sorted(samples, key=lambda s: sorted(s[0].items())):
                family.add_metric([labels[n] for n in label_names], value)
            yield family
        for name, (doc, bounds) in HISTOGRAMS.items():
            counts = {lab["le"]: v for lab, v in series.get(f"{name}_bucket", [])}
            total = sum(v for _, v in series.get(f"{name}_count", []))
            buckets = [(floatToGoString(b), counts.get(floatToGoString(b), 0.0)) for b in bounds]
            histogram = HistogramMetricFamily(f"{NAMESPACE}_{name}", doc)
            histogram.add_metric(
                [],
                buckets=[*buckets, ("+Inf", total)],
                sum_value=sum(v for _, v in series.get(f"{name}_sum", [])),
            )
            yield histogram
        families: dict[str, GaugeMetricFamily] = {}
        for gauge in self.gauges:
            if gauge.name not in families:
                families[gauge.name] = GaugeMetricFamily(
                    f"{NAMESPACE}_{gauge.name}", gauge.documentation, labels=list(gauge.labels)
                )
            families[gauge.name].add_metric(list(gauge.labels.values()), gauge.value)
        yield from families.values()


def render(client: redis.Redis, keys: Keys, gauges: Iterable[Gauge] = ()) -> bytes:
    """The Prometheus text exposition of every stored series plus ``gauges``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(client.hgetall(keys.metrics), gauges))  # type: ignore[arg-type]
    return generate_latest(registry)
