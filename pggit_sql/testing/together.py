"""Run jobs in threads that start together: the concurrency tests' one way of racing sessions.

A barrier releases every thread at once, so the jobs really overlap. Results come back
in job order; the first exception a job raised is re-raised in the caller's thread (the
barrier is broken so the other jobs do not wait for it forever), and a thread still
alive after ``join_timeout`` seconds fails the call ("stuck": a lock wait nobody ends).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def run_together(
    jobs: Sequence[Callable[[], T]], *, name: str = "worker", start_timeout: float = 60, join_timeout: float = 240
) -> list[T]:
    """Run ``jobs`` in threads started together; their results in job order."""
    barrier = threading.Barrier(len(jobs))
    results: list[T | None] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=start_timeout)
            results[index] = jobs[index]()
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,), name=f"{name}-{i}") for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"stuck: {', '.join(stuck)}"
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]  # every slot was filled: no error, none stuck
