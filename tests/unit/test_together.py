"""pggit_sql.testing.together: jobs start together, results in order, errors and stuck threads reported."""

from __future__ import annotations

import threading
import time

import pytest

from pggit_sql.testing.together import run_together


def test_results_come_back_in_job_order_and_the_jobs_overlap() -> None:
    all_running = threading.Barrier(5)  # passes only when the 5 jobs run at the same time

    def job(i: int) -> int:
        all_running.wait(timeout=5)
        return i * i

    assert run_together([lambda i=i: job(i) for i in range(5)]) == [0, 1, 4, 9, 16]


def test_the_first_error_is_raised_in_the_caller() -> None:
    def boom() -> None:
        raise ValueError("from a job")

    with pytest.raises(ValueError, match="from a job"):
        run_together([lambda: None, boom, lambda: None])


def test_a_stuck_job_fails_the_call() -> None:
    release = threading.Event()
    try:
        with pytest.raises(AssertionError, match="stuck: worker-1"):
            run_together([lambda: None, lambda: release.wait(10)], join_timeout=0.2)
    finally:
        release.set()
        time.sleep(0.05)
