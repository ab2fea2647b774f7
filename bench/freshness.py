"""Freshness: how long a booking takes from its webhook to the calendar.

Bookings arrive at ``RATE_PER_S`` through the receiver's intake, two ``lockme-sync worker``
processes at the default retry settings sync them against the fakes (``LATENCY_S`` per
call), and each message's webhook-to-calendar time is read from the history the worker
writes after the calendar write and the ack. The same run is made with the standard fault mix
(``worker.sandbox.fault_mix``) and without faults; ``python -m bench.freshness`` runs it
alone (about a minute).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from bench.harness import stack, stop, wait_until
from bench.workers import LATENCY_S, WORKER, start_workers
from worker.jobs.intake import Intake
from worker.sandbox import fault_mix

BOOKINGS = 60
RATE_PER_S = 5
WORKERS = 2


@dataclass
class Freshness:
    p50_s: float
    p99_s: float
    count: int


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(*, faults: bool, bookings: int = BOOKINGS) -> Freshness:
    """Webhook-to-calendar p50 and p99 of ``bookings`` new bookings."""
    with stack(latency=LATENCY_S) as s:
        if faults:
            fault_mix.install(s.lockme, s.google)
        procs = start_workers(s, WORKER, WORKERS)
        try:
            intake = Intake(s.redis, s.runtime.keys)
            for message_id in s.new_bookings(bookings):
                intake.accept(message_id)
                time.sleep(1 / RATE_PER_S)
            wait_until(lambda: s.acked() >= bookings, timeout=180, step=0.1)
        finally:
            for proc in procs:
                stop(proc)
        entries = s.runtime.store.history.recent(limit=bookings)
        latencies = [e["latency_s"] for e in entries if "latency_s" in e]
    return Freshness(statistics.median(latencies), percentile(latencies, 0.99), len(latencies))


def main() -> None:
    for faults in (False, True):
        result = measure(faults=faults)
        label = "fault mix" if faults else "no faults"
        print(f"{label}: p50 {result.p50_s:.2f} s, p99 {result.p99_s:.2f} s ({result.count})")


if __name__ == "__main__":
    main()
