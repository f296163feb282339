"""P5 job scaling (issue 13): items read by the three jobs that look at the whole service or
schedule, at 1× and 10× table size with the same work due, ≤ 1.2× apart. Counted in DynamoDB items
(`tests.bench.counting`), never moto's seconds.

- the SLA sweep (`tests.bench.sla_sweep`): N and 10×N contacts and complaints, the same clocks due;
- the daily callbacks job (`tests.bench.callbacks`): 10,000 and 100,000 clients, the same calls due;
  beside it, a Scan of the clients table against the job (≥ 20× more);
- the quarterly report (`tests.bench.report`): N and 10×N records of each kind in the quarter
  (100 and 1,000 over 10 branches × 10 managers); beside it, the job's peak RSS at both sizes
  (≤ 1.2× apart).

`figures(smoke=True)` measures the same at small sizes (≈ 20 s of CPU); the full run takes ≈ 6 minutes
of CPU. A check that the work was the same at both sizes failing is an error, not a figure.
How each is measured: tests/bench/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

from tests.bench import callbacks, moto_speedups, report, sla_sweep
from tests.bench.counting import ItemCounter
from tests.bench.results import Figure

SECTION = "P5 job scaling"
LIMIT = 1.2


@dataclass(frozen=True)
class Sizes:
    sla_records: tuple[int, int]  # contacts and complaints at 1× and 10×
    sla_due: int
    callbacks_clients: tuple[int, int]
    callbacks_due: int
    report_per_kind: tuple[int, int]  # records of each kind in the quarter
    report_layout: tuple[int, int]  # branches, managers per branch


FULL = Sizes(
    sla_records=(2_000, 20_000),
    sla_due=100,
    callbacks_clients=(10_000, 100_000),
    callbacks_due=400,
    # 10 branches × 10 managers: at 50 × 20 (`python -m tests.bench.report`) N must be ≥ 334 for
    # every manager to have records, and 10×N alone takes half an hour on moto
    report_per_kind=(100, 1_000),
    report_layout=(10, 10),
)
SMOKE = Sizes(
    sla_records=(50, 500),
    sla_due=5,
    callbacks_clients=(100, 1_000),
    callbacks_due=10,
    report_per_kind=(2, 20),
    report_layout=(1, 2),
)


def figures(*, smoke: bool) -> list[Figure]:
    sizes = SMOKE if smoke else FULL
    return [*sla_sweep_figures(sizes), *callbacks_figures(sizes), *report_figures(sizes)]


def _ratio_check(checks: dict[str, bool], job: str) -> None:
    """The same work at both sizes, or the ratio means nothing: a failed check is an error."""
    failed = [check for check, passed in checks.items() if not passed]
    if failed:
        raise AssertionError(f"{job}: {', '.join(failed)}")


def sla_sweep_figures(sizes: Sizes) -> list[Figure]:
    small_records, large_records = sizes.sla_records
    counter = ItemCounter()
    started = perf_counter()
    print(f"P5: SLA sweep, {small_records:,} and {large_records:,} records, {sizes.sla_due} due", flush=True)
    with moto_speedups.installed(), counter.installed():
        common = sla_sweep.make_common(sizes.sla_due)
        small = sla_sweep.measure(small_records, common, counter)
        large = sla_sweep.measure(large_records, common, counter)
    _ratio_check(sla_sweep.compare(small, large), "sla-sweep")
    return [
        Figure(
            section=SECTION,
            name="sla-sweep items read",
            value=large.tally.items_read,
            baseline=small.tally.items_read,
            unit="items",
            limit=LIMIT,
            spread=f"{small_records:,} → {large_records:,} records",
            detail={
                "records": [small_records, large_records],
                "service_items": [small.items, large.items],
                "examined": [small.examined, large.examined],
                "escalated": [small.escalated, large.escalated],
                "items_written": [small.tally.items_written, large.tally.items_written],
                "requests": [sum(small.tally.requests.values()), sum(large.tally.requests.values())],
                "scan_items_at_10x": large.scan,
                "seconds": round(perf_counter() - started, 1),
            },
        )
    ]


def callbacks_figures(sizes: Sizes) -> list[Figure]:
    small_clients, large_clients = sizes.callbacks_clients
    counter = ItemCounter()
    started = perf_counter()
    print(f"P5: callbacks job, {small_clients:,} and {large_clients:,} clients", flush=True)
    with moto_speedups.installed(), counter.installed():
        small = callbacks.measure(small_clients, sizes.callbacks_due, counter, with_scan=False)
        large = callbacks.measure(large_clients, sizes.callbacks_due, counter, with_scan=True)
    assert large.scan is not None
    _ratio_check(
        {
            "the same tasks at both sizes": small.created == large.created,
            "no failed request": small.tally.failed + large.tally.failed == 0,
        },
        "callbacks",
    )
    detail = {
        "clients": [small_clients, large_clients],
        "tasks_created": [small.created, large.created],
        "items_written": [small.tally.items_written, large.tally.items_written],
        "requests": [sum(small.tally.requests.values()), sum(large.tally.requests.values())],
        "seconds": round(perf_counter() - started, 1),
    }
    return [
        Figure(
            section=SECTION,
            name="callbacks items read",
            value=large.tally.items_read,
            baseline=small.tally.items_read,
            unit="items",
            limit=LIMIT,
            spread=f"{small_clients:,} → {large_clients:,} clients",
            detail=detail,
        ),
        Figure(
            section=SECTION,
            name="callbacks: clients Scan ÷ job",
            value=large.scan.items_read,
            baseline=large.tally.items_read,
            unit="items",
            limit=callbacks.TARGET_RATIO,
            at_most=False,
            spread=f"at {large_clients:,} clients",
        ),
    ]


def report_figures(sizes: Sizes) -> list[Figure]:
    small_n, large_n = sizes.report_per_kind
    branches, managers = sizes.report_layout
    started = perf_counter()
    print(f"P5: quarterly report, {small_n:,} and {large_n:,} of each kind, {branches} × {managers}", flush=True)
    with report.serving() as endpoint, moto_speedups.installed():
        small, large = (
            report.measure(n, endpoint, branches=branches, managers_per_branch=managers) for n in (small_n, large_n)
        )
    spread = f"{small.records:,} → {large.records:,} records"
    detail = {
        "per_kind": [small_n, large_n],
        "layout": [branches, managers],
        "records": [small.records, large.records],
        "requests": [small.requests, large.requests],
        "files": [small.files, large.files],
        "scan_items": [small.scan_items, large.scan_items],
        "seconds": round(perf_counter() - started, 1),
    }
    return [
        Figure(
            section=SECTION,
            name="quarterly-report items read",
            value=large.items_read,
            baseline=small.items_read,
            unit="items",
            limit=LIMIT,
            spread=spread,
            detail=detail,
        ),
        Figure(
            section=SECTION,
            name="quarterly-report peak RSS",
            value=large.peak_rss_mb,
            baseline=small.peak_rss_mb,
            unit="MB",
            limit=report.TARGET,
            spread=spread,
        ),
    ]
