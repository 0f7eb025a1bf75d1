"""Benchmark harness: a throw-away server, repeated timings, medians and a ratio table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg

from pggit_sql.testing.server import PggitServer

# The test server's settings (fsync off: PggitServer starts every server with -F, as
# pytest-postgresql's executor did for every benchmark before issue 16) and asynchronous
# commit: measures pggit's work, not the disk's flush latency, which on a shared virtual disk
# varies by an order of magnitude run to run.
SERVER_SETTINGS = ("-c synchronous_commit=off -c max_connections=100 -c shared_buffers=256MB")


@dataclass
class Result:
    """One benchmark row: pggit's figure, plain PostgreSQL's, and the target."""

    name: str
    unit: str
    pggit: float
    baseline: float | None
    baseline_name: str
    target: str
    ok: bool | None
    samples: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.pggit / self.baseline


def median_of(runs: int, measure: Callable[[], float]) -> tuple[float, list[float]]:
    samples = [measure() for _ in range(runs)]
    return statistics.median(samples), samples


def server_rate(conn: psycopg.Connection, sql: str, n: int) -> Callable[[], float]:
    """A measurement: ``sql`` (taking ``n`` as its one parameter) does ``n`` calls server side; calls/s."""
    def run() -> float:
        start = time.perf_counter()
        conn.execute(sql, (n,))
        return n / (time.perf_counter() - start)
    return run


def server_ms_per_call(conn: psycopg.Connection, sql: str, n: int) -> Callable[[], float]:
    """Like :func:`server_rate`, as milliseconds per call."""
    rate = server_rate(conn, sql, n)
    return lambda: 1e3 / rate()


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0] if elapsed else time.perf_counter() - start
    elapsed.append(time.perf_counter() - start)


@contextmanager
def bench_server() -> Iterator[PggitServer]:
    """A fresh server of the test layer's kind (same storage), with SERVER_SETTINGS, removed afterwards."""
    server = PggitServer(postgres_options=SERVER_SETTINGS).start()
    try:
        yield server
    finally:
        server.stop()


def connect(conninfo: str) -> psycopg.Connection:
    return psycopg.connect(conninfo, autocommit=True)


def _num(value: float) -> str:
    """Three significant digits, thousands separated: 278,800 / 303 / 0.0459."""
    if value >= 1000:
        return f"{round(value, -len(str(int(value))) + 3):,.0f}"
    return f"{value:.3g}"


def format_table(results: list[Result]) -> str:
    head = "| figure | pggit | plain PostgreSQL | ratio | target | met |\n|---|---|---|---|---|---|\n"
    rows = []
    for r in results:
        base = f"{_num(r.baseline)} {r.unit} ({r.baseline_name})" if r.baseline is not None else "-"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[r.ok]
        rows.append(f"| {r.name} | {_num(r.pggit)} {r.unit} | {base} | {ratio} | {r.target} | {met} |")
    return head + "\n".join(rows)
