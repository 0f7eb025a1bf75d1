"""Threads with their own connections, started together; failures re-raised in the test's thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_together(jobs: list[Callable[[], T]], timeout: float = 240) -> list[T]:
    """Run every job in its own thread, all released at once by a barrier; their results in order."""
    barrier = threading.Barrier(len(jobs))
    results: list[T | None] = [None] * len(jobs)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[index] = jobs[index]()
        except BaseException as exc:  # reported in the test's thread
            failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,), name=f"worker-{i}") for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck"
    if failures:
        raise failures[0]
    return results  # type: ignore[return-value]


def scale() -> int:
    """``$PGGIT_RELIABILITY_SCALE`` (default 1): multiplies the load of the crash and mix tests."""
    import os

    return max(1, int(os.environ.get("PGGIT_RELIABILITY_SCALE", "1")))
