"""Hypothesis profiles for pggit's test suites.

- ``ci`` (the default): 25 examples per property, no deadline (database round trips
  vary), failing examples printed as reproducible blobs; keeps ``make test`` short
  on a 2-core machine.
- ``dev``: 100 examples, for working on a feature.
- ``thorough``: 2000 examples, for a night run before a release.

The pytest plugin registers them at configure time and loads the one named by
``--hypothesis-profile`` (hypothesis' own option, which wins), else
``$PGGIT_HYPOTHESIS_PROFILE``, else ``ci``.

Hypothesis is imported only by :func:`register` and :func:`load`: the plugin imports this
module in environments without hypothesis too (it comes with the ``test`` extra).
"""

from __future__ import annotations

import importlib.util
import os

PROFILE_ENV = "PGGIT_HYPOTHESIS_PROFILE"
DEFAULT_PROFILE = "ci"

PROFILES: dict[str, dict[str, object]] = {
    "ci": {"max_examples": 25, "deadline": None, "print_blob": True},
    "dev": {"max_examples": 100, "deadline": None, "print_blob": True},
    "thorough": {"max_examples": 2000, "deadline": None, "print_blob": True},
}


def timeout_factor(name: str) -> float:
    """How much longer than under ``ci`` a test may run under profile ``name`` (its examples / ci's)."""
    examples = PROFILES.get(name, PROFILES[DEFAULT_PROFILE])["max_examples"]
    return max(1.0, float(examples) / float(PROFILES[DEFAULT_PROFILE]["max_examples"]))  # type: ignore[arg-type]


def available() -> bool:
    """Whether hypothesis is installed (without importing it)."""
    return importlib.util.find_spec("hypothesis") is not None


def register() -> None:
    """Register the profiles with hypothesis (idempotent)."""
    from hypothesis import settings

    for name, options in PROFILES.items():
        settings.register_profile(name, **options)  # type: ignore[arg-type]


def chosen(option: str | None = None) -> str:
    """The profile to load: ``option`` if given, else ``$PGGIT_HYPOTHESIS_PROFILE``, else ``ci``."""
    return option or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE


def load(option: str | None = None) -> str:
    """Register the profiles, load the chosen one and return its name."""
    from hypothesis import settings

    register()
    name = chosen(option)
    settings.load_profile(name)
    return name
