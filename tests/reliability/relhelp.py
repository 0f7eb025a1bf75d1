"""Helpers of the reliability tests: the load scale."""

from __future__ import annotations


def scale() -> int:
    """``$PGGIT_RELIABILITY_SCALE`` (default 1): multiplies the load of the crash and mix tests."""
    import os

    return max(1, int(os.environ.get("PGGIT_RELIABILITY_SCALE", "1")))
