"""Hypothesis strategies for pggit branch names.

``valid_branch_names()`` draws names that follow every rule of :mod:`pggit_sql.refname`
(git's ref-name rules for a branch, at most 255 UTF-8 bytes), ASCII and non-ASCII.
``invalid_branch_names()`` draws a valid name and injects one violation, for every
rule in :data:`pggit_sql.refname.RULES` (pass ``rule=`` to draw only one kind). No
name contains NUL, so every drawn name can be sent to PostgreSQL.
"""

from __future__ import annotations

import string
from collections.abc import Callable

from hypothesis import strategies as st

from pggit_sql import refname

__all__ = ["INJECTIONS", "invalid_branch_names", "valid_branch_names"]

_FORBIDDEN = " ~^:?*[\\/\x7f" + "".join(chr(c) for c in range(0x20))

# Mostly the characters people use, sometimes anything else that is allowed.
_friendly = st.sampled_from(string.ascii_letters + string.digits + "-_.+=,@{}!#%&'()<>|$\"")
_any_allowed = st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters=_FORBIDDEN)
_character = st.one_of(_friendly, _friendly, _any_allowed)


def _component_ok(component: str) -> bool:
    return not (
        component.startswith(".") or component.endswith(".lock") or ".." in component or "@{" in component
    )


_component = st.text(_character, min_size=1, max_size=16).filter(_component_ok)

_EXAMPLES = ("main", "feature/x-1_y.z", "fix/ñandú", "release/v1.2.3", "a", "ö", "user@host/branch", "a./b")


@st.composite
def _composed(draw: st.DrawFn) -> str:
    components = draw(st.lists(_component, min_size=1, max_size=5))
    name = "/".join(components)
    if name.startswith("-"):
        name = "x" + name
    if name.endswith("."):
        name += "x"
    if name == "@":
        name = "@x"
    while len(name.encode("utf-8")) > refname.MAX_BYTES:
        name = name[:-1].rstrip("/.")
    return name


def valid_branch_names() -> st.SearchStrategy[str]:
    """Names that break none of the branch-name rules (non-empty, at most 255 bytes)."""
    return st.one_of(st.sampled_from(_EXAMPLES), _composed()).filter(refname.is_valid_branch_name)


def _insert(piece: st.SearchStrategy[str]) -> Callable[[st.DrawFn, str], str]:
    """An injection that puts a drawn ``piece`` at a drawn position of the name."""

    def inject(draw: st.DrawFn, name: str) -> str:
        at = draw(st.integers(0, len(name)))
        return name[:at] + draw(piece) + name[at:]

    return inject


def _too_long(draw: st.DrawFn, name: str) -> str:
    filler = draw(st.sampled_from(["a", "é", "€", "😀"]))  # 1, 2, 3 and 4 UTF-8 bytes
    while len(name.encode("utf-8")) <= refname.MAX_BYTES:
        name += filler
    return name


def _dot_component(draw: st.DrawFn, name: str) -> str:
    if draw(st.booleans()):
        return "." + name
    return name + "/." + draw(_component)


def _lock_component(draw: st.DrawFn, name: str) -> str:
    if draw(st.booleans()):
        return name + ".lock"
    return name + ".lock/" + draw(_component)


#: For each rule text of :data:`pggit_sql.refname.RULES`: how to break it, given a valid name.
INJECTIONS: dict[str, Callable[[st.DrawFn, str], str]] = {
    refname.EMPTY: lambda draw, name: "",
    refname.TOO_LONG: _too_long,
    refname.CONTROL: _insert(st.sampled_from([chr(c) for c in range(1, 0x20)] + ["\x7f"])),
    refname.SPACE: _insert(st.just(" ")),
    refname.SPECIAL: _insert(st.sampled_from(sorted(refname.SPECIAL_CHARACTERS))),
    refname.DOT_DOT: _insert(st.just("..")),
    refname.AT_BRACE: _insert(st.just("@{")),
    refname.AT: lambda draw, name: "@",
    refname.LEADING_DASH: lambda draw, name: "-" + name,
    refname.LEADING_SLASH: lambda draw, name: "/" + name,
    refname.TRAILING_SLASH: lambda draw, name: name + "/",
    refname.DOUBLE_SLASH: _insert(st.just("//")),
    refname.DOT_COMPONENT: _dot_component,
    refname.LOCK_COMPONENT: _lock_component,
    refname.TRAILING_DOT: lambda draw, name: name + ".",
}
assert set(INJECTIONS) == set(refname.RULES), "every rule needs an injection"


@st.composite
def _injected(draw: st.DrawFn, rule: str | None) -> str:
    chosen = rule if rule is not None else draw(st.sampled_from(refname.RULES))
    return INJECTIONS[chosen](draw, draw(valid_branch_names()))


def invalid_branch_names(rule: str | None = None) -> st.SearchStrategy[str]:
    """Names that break at least one branch-name rule: a valid name with one violation injected.

    ``rule`` (one of :data:`pggit_sql.refname.RULES`) limits the injection to that rule;
    the name then breaks that rule (and may break others too: ``refname.branch_name_violation``
    reports the first in rule order). By default every rule is drawn.
    """
    if rule is not None and rule not in INJECTIONS:
        raise ValueError(f"unknown branch-name rule {rule!r}; expected one of {refname.RULES}")
    return _injected(rule).filter(lambda name: not refname.is_valid_branch_name(name))
