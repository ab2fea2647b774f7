"""``python -m bench``: every performance figure, each beside its baseline from the same run.

Prints a table and writes ``docs/benchmarks.md``. Needs Redis at 127.0.0.1:6379 (database
11 is flushed before and after; ``BENCH_REDIS_URL`` picks another) and Debian's ``wrk``
(``apt-get install -y wrk``); takes about nine minutes on 2 cores (the two-way rows,
``bench.twoway``, about six).
Ratios rather than absolute figures are what to compare between machines.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import freshness, receiver, twoway, workers
from bench.harness import ROOT, stack
from worker.flows.blocks.calendar_sync import SETTLED_S
from worker.jobs.schedules import POLL_S

QUOTA = 50
QUOTA_BOOKINGS = 1000
SYNC_WEBHOOKS = 1000
SYNC_ROUNDS = 7


@dataclass
class Row:
    figure: str
    measured: str
    baseline: str
    ratio: str
    target: str
    met: bool | None = None

    def cells(self) -> list[str]:
        verdict = {True: "yes", False: "**no**", None: ""}[self.met]
        return [self.figure, self.measured, self.baseline, self.ratio, self.target, verdict]


def run() -> list[Row]:
    rows: list[Row] = []
    with stack() as s:
        served = receiver.receiver(s)
    rx, base = served["receiver"], served["baseline"]
    ratio = rx.max.rate / base.max.rate
    rows.append(
        Row(
            "webhook throughput, 32 connections",
            f"{rx.max.rate:,.0f} req/s",
            f"{base.max.rate:,.0f} req/s (one LPUSH)",
            f"{ratio:.2f}",
            "≥ 0.80",
            ratio >= 0.8,
        )
    )
    rows.append(
        Row(
            "webhook p99 at half the maximum rate",
            f"{rx.half.p99_ms:.1f} ms at {rx.half.rate:,.0f} req/s",
            f"{base.half.p99_ms:.1f} ms at {base.half.rate:,.0f} req/s",
            f"{rx.half.p99_ms / base.half.p99_ms:.2f}",
            "≤ 25 ms",
            rx.half.p99_ms <= 25,
        )
    )

    syncing = receiver.while_syncing(SYNC_WEBHOOKS, rounds=SYNC_ROUNDS)
    live, idle = syncing["worker"], syncing["no worker"]
    rows.append(
        Row(
            f"{SYNC_WEBHOOKS:,} webhooks for new bookings, 32 connections, 1 worker syncing "
            f"them (median of {SYNC_ROUNDS})",
            f"{live.load.rate:,.0f} req/s, p99 {live.load.p99_ms:.0f} ms",
            f"{idle.load.rate:,.0f} req/s, p99 {idle.load.p99_ms:.0f} ms with no worker",
            f"{live.load.rate / idle.load.rate:.2f}",
            "the worker's share of the cores",
        )
    )
    rows.append(
        Row(
            "CPU used during that burst: worker, Redis (web)",
            f"{live.cpu_s['worker']:.2f} s, {live.cpu_s['redis']:.2f} s "
            f"({live.cpu_s['web']:.2f} s)",
            f"0 s, {idle.cpu_s['redis']:.2f} s ({idle.cpu_s['web']:.2f} s) with no worker",
            f"{live.cpu_s['worker'] / live.cpu_s['web']:.2f} of the web's",
            "",
        )
    )

    kinds = workers.per_booking()
    ideal_ms = kinds["in-process"].calls_per_booking * workers.LATENCY_S * 1000
    for name, drain in kinds.items():
        ratio = drain.per_booking_ms / ideal_ms
        rows.append(
            Row(
                f"worker per booking, {name}{' (product)' if name == 'in-process' else ''}",
                f"{drain.per_booking_ms:.1f} ms, {drain.calls_per_booking:.2f} API calls",
                f"{ideal_ms:.0f} ms ideal (calls × 20 ms)",
                f"{ratio:.2f}",
                "≤ 1.15",
                ratio <= 1.15 if name == "in-process" else None,
            )
        )
    forking, in_process = kinds["forking"], kinds["in-process"]
    rows.append(
        Row(
            "forking ÷ in-process, per booking",
            f"{forking.per_booking_ms:.1f} ms",
            f"{in_process.per_booking_ms:.1f} ms",
            f"{forking.per_booking_ms / in_process.per_booking_ms:.2f}",
            "> 1 keeps in-process",
        )
    )
    floor = workers.floor()
    rows.append(
        Row(
            "bare loop: the same three calls over http.client, nothing else",
            f"{floor['loop']:.1f} ms",
            f"{ideal_ms:.0f} ms ideal",
            f"{floor['loop'] / ideal_ms:.2f}",
            "this machine's floor",
        )
    )
    rows.append(
        Row(
            "the same bare calls as RQ jobs in `lockme-sync worker`",
            f"{floor['rq']:.1f} ms",
            f"{floor['loop']:.1f} ms bare loop",
            f"{floor['rq'] / ideal_ms:.2f}",
            "the queue's share",
        )
    )
    rows.append(
        Row(
            "the product's sync over the same calls in RQ",
            f"{in_process.per_booking_ms:.1f} ms",
            f"{floor['rq']:.1f} ms bare calls in RQ",
            f"{in_process.per_booking_ms - floor['rq']:+.1f} ms",
            "the sync's share",
        )
    )

    quota = workers.at_quota(QUOTA_BOOKINGS, quota=QUOTA)
    bound = QUOTA_BOOKINGS / QUOTA
    rows.append(
        Row(
            f"{QUOTA_BOOKINGS:,} bookings, Google at {QUOTA} req/s, 4 workers",
            f"{quota.seconds:.1f} s, {quota.rate_limited} × 403, {quota.failures} failed",
            f"{bound:.0f} s (quota-bound)",
            f"{quota.seconds / bound:.2f}",
            "≤ 1.15, no failures",
            quota.seconds / bound <= 1.15 and quota.failures == 0,
        )
    )

    curve = workers.scaling()
    one = curve[1].seconds
    for count, drain in curve.items():
        rows.append(
            Row(
                f"burst of {drain.count}, 20 ms latency, no quota, {count} worker(s)",
                f"{drain.seconds:.2f} s",
                f"{one:.2f} s (1 worker)",
                f"{one / drain.seconds:.2f}× faster",
                "grows with workers",
            )
        )

    calm, faulty = (freshness.measure(faults=faults) for faults in (False, True))
    rows.append(
        Row(
            f"freshness: webhook → calendar p50 / p99, {freshness.BOOKINGS} bookings, "
            "the standard fault mix, 2 workers, default retries",
            f"{faulty.p50_s:.2f} s / {faulty.p99_s:.2f} s",
            f"{calm.p50_s:.2f} s / {calm.p99_s:.2f} s without faults",
            f"{faulty.p99_s / calm.p99_s:.1f}",
            "p99 ≤ 15 s",
            faulty.p99_s <= 15,
        )
    )

    rows += two_way_rows(twoway.figures())
    rows += quiet_rows(
        twoway.quiet_sync(twoway.QUIET_EVENTS), twoway.quiet_sync(twoway.QUIET_BASELINE)
    )
    rows += turn_on_rows(twoway.turn_on_figures())

    worker_rss = max(quota.peak_rss_mb, *(d.peak_rss_mb for d in kinds.values()))
    rows.append(
        Row(
            "worker peak RSS (VmHWM, forked children included)",
            f"{worker_rss:.0f} MB",
            "",
            "",
            "≤ 120 MB",
            worker_rss <= 120,
        )
    )
    rows.append(
        Row(
            "web peak RSS under load (largest gunicorn process)",
            f"{rx.peak_rss_mb:.0f} MB",
            f"{base.peak_rss_mb:.0f} MB (baseline app)",
            "",
            "≤ 80 MB",
            rx.peak_rss_mb <= 80,
        )
    )
    rows.append(
        Row(
            "`lockme-sync worker` start → first booking synced",
            f"{workers.startup():.2f} s",
            "",
            "",
            "",
        )
    )
    rows.append(
        Row(
            "gunicorn start → first answered request",
            f"{rx.startup_s:.2f} s",
            f"{base.startup_s:.2f} s (baseline app)",
            f"{rx.startup_s / base.startup_s:.2f}",
            "",
        )
    )
    return rows


def two_way_rows(found: dict[str, twoway.TwoWay]) -> list[Row]:
    """Calendar → Lockme: each figure with the fault mix beside the same run without."""
    push, push_calm = found["push, faults"], found["push"]
    poll, poll_calm = found["poll, faults"], found["poll"]
    limit = 2 * POLL_S
    return [
        Row(
            f"two-way freshness with push: staff change → Lockme p50 / p99, {push.changes} "
            "changes, fault mix with Lockme write faults, 2 workers",
            f"{push.p50_s:.2f} s / {push.p99_s:.2f} s",
            f"{push_calm.p50_s:.2f} s / {push_calm.p99_s:.2f} s without faults",
            f"{push.p99_s / push_calm.p99_s:.1f}",
            "p99 ≤ 10 s",
            push.p99_s <= 10,
        ),
        Row(
            f"two-way freshness, push refused (poll every {POLL_S} s): "
            f"p50 / max, {poll.changes} changes, fault mix",
            f"{poll.p50_s:.1f} s / {poll.max_s:.1f} s",
            f"{poll_calm.p50_s:.1f} s / {poll_calm.max_s:.1f} s without faults",
            f"{poll.max_s / poll_calm.max_s:.1f}",
            f"≤ {limit} s (two polls)",
            poll.max_s <= limit,
        ),
        Row(
            "two-way Google list calls per change (push, steady state)",
            f"{push.lists_per_change:.2f} with faults",
            f"{push_calm.lists_per_change:.2f} without faults",
            f"{push.lists_per_change / push_calm.lists_per_change:.2f}",
            "1 per change",
            push_calm.lists_per_change <= 1.0,
        ),
        Row(
            "two-way Lockme writes per newly blocked / freed slot (attempts)",
            f"{push.creates_per_block:.2f} / {push.deletes_per_free:.2f} with faults",
            f"{push_calm.creates_per_block:.2f} / {push_calm.deletes_per_free:.2f} without",
            "",
            "1 / 1",
            push_calm.creates_per_block <= 1.0 and push_calm.deletes_per_free <= 1.0,
        ),
    ]


def quiet_rows(big: twoway.Quiet, small: twoway.Quiet) -> list[Row]:
    """A blocks sync that reads no change, large calendar against small, and the sync that
    plans again (after a ledger write, or every ``SETTLED_S``)."""
    ratio = big.quiet_s / small.quiet_s
    return [
        Row(
            f"two-way sync that reads no change, {big.events:,}-event calendar "
            f"(median of {twoway.QUIET_ROUNDS})",
            f"{big.quiet_s * 1000:.0f} ms",
            f"{small.quiet_s * 1000:.0f} ms, {small.events:,} events",
            f"{ratio:.2f}",
            "≤ 2: O(changes), not O(calendar)",
            ratio <= 2,
        ),
        Row(
            f"two-way sync that plans again and writes nothing, {big.events:,} events "
            f"(after a ledger write, or every {SETTLED_S // 60} min)",
            f"{big.replan_s:.2f} s",
            f"{small.replan_s:.2f} s, {small.events:,} events",
            f"{big.replan_s / small.replan_s:.0f}",
            "",
        ),
    ]


def turn_on_rows(found: dict[str, twoway.TurnOn]) -> list[Row]:
    """Blocks turned on, then a staff event a few seconds later: the slowest room's wait."""
    push, poll = max(found["push"].event_to_block_s), max(found["poll"].event_to_block_s)
    return [
        Row(
            f"two-way: blocks turned on, a staff event {twoway.TURN_ON_EVENT_AFTER_S:.0f} s "
            f"later → its block, max of {twoway.TURN_ON_ROUNDS} rooms, with push",
            f"{push:.2f} s",
            f"{poll:.1f} s with push refused (poll every {POLL_S} s)",
            f"{push / poll:.2f}",
            f"≤ {POLL_S} s (the first poll); refused ≤ {2 * POLL_S} s",
            push <= POLL_S and poll <= 2 * POLL_S,
        )
    ]


HEADER = ["figure", "measured", "baseline", "ratio", "target", "met"]


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def write_report(rows: list[Row], path: Path) -> None:
    """Rewrite the report's table; the sections after it (``## …``: other benchmarks' own
    figures, notes) are kept as they are."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    sections = old[old.index("\n## ") :] if "\n## " in old else ""
    path.write_text(
        "# Benchmarks\n\n"
        f"Produced by `python -m bench` on {when}; `nproc` = {os.cpu_count()}, "
        f"Python {platform.python_version()}, {platform.machine()}.\n\n"
        "Each figure is measured beside its baseline in the same run; on a shared 2-core "
        "machine the ratios are steadier than the absolute numbers. Lockme and Google are the "
        "HTTP fakes from `worker/sandbox` with the stated latency per request.\n\n"
        f"{markdown(rows)}\n{sections}",
        encoding="utf-8",
    )


def main() -> int:
    missing = receiver.ensure_wrk()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    rows = run()
    widths = [max(len(r.cells()[i]) for r in rows) for i in range(len(HEADER))]
    widths = [max(w, len(h)) for w, h in zip(widths, HEADER, strict=True)]
    for cells in [HEADER, *(r.cells() for r in rows)]:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    report = ROOT / "docs" / "benchmarks.md"
    write_report(rows, report)
    print(f"\nwritten to {report.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
