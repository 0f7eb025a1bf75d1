"""Helpers of the reliability tests: the shared thread runner, and the load scale."""

from __future__ import annotations

from pggit_sql.testing.together import run_together

__all__ = ["run_together", "scale"]


def scale() -> int:
    """``$PGGIT_RELIABILITY_SCALE`` (default 1): multiplies the load of the crash and mix tests."""
    import os

    return max(1, int(os.environ.get("PGGIT_RELIABILITY_SCALE", "1")))
