"""Branch-name rules, in Python: the reference for ``pggit.branch_name_violation``.

pggit branch names follow git's ref-name rules for a branch (``git check-ref-format
--branch``; see ``man git-check-ref-format``) plus a length limit. A name is valid
when it breaks none of these rules, checked in this order; the first one broken is
reported with exactly the text below, the same text the SQL functions
``pggit.branch_name_violation`` / ``pggit.assert_valid_branch_name`` use
(``sql/functions/branches/branch_name_violation.sql``):

1. not empty;
2. at most 255 bytes in UTF-8;
3. no ASCII control character (0x00-0x1F, 0x7F);
4. no space;
5. none of ``~ ^ : ? * [ \\``;
6. no ``..``;
7. no ``@{``;
8. not the single name ``@``;
9. does not begin with ``-``;
10. does not begin with ``/``;
11. does not end with ``/``;
12. no ``//`` (an empty path component);
13. no ``/``-separated component begins with ``.``;
14. no component ends with ``.lock``;
15. does not end with ``.``.

Anything else is allowed, non-ASCII letters included (``feature/x-1_y.z``,
``fix/ñandú`` are valid).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_BYTES", "RULES", "branch_name_violation", "is_valid_branch_name"]

MAX_BYTES: Final = 255

EMPTY: Final = "must not be empty"
TOO_LONG: Final = "must be at most 255 bytes"
CONTROL: Final = "must not contain control characters"
SPACE: Final = "must not contain a space"
SPECIAL: Final = "must not contain any of ~ ^ : ? * [ \\"
DOT_DOT: Final = 'must not contain ".."'
AT_BRACE: Final = 'must not contain "@{"'
AT: Final = 'must not be "@"'
LEADING_DASH: Final = 'must not begin with "-"'
LEADING_SLASH: Final = 'must not begin with "/"'
TRAILING_SLASH: Final = 'must not end with "/"'
DOUBLE_SLASH: Final = 'must not contain "//"'
DOT_COMPONENT: Final = 'no path component may begin with "."'
LOCK_COMPONENT: Final = 'no path component may end with ".lock"'
TRAILING_DOT: Final = 'must not end with "."'

#: Every rule text, in the order the rules are checked.
RULES: Final[tuple[str, ...]] = (
    EMPTY, TOO_LONG, CONTROL, SPACE, SPECIAL, DOT_DOT, AT_BRACE, AT, LEADING_DASH,
    LEADING_SLASH, TRAILING_SLASH, DOUBLE_SLASH, DOT_COMPONENT, LOCK_COMPONENT, TRAILING_DOT,
)

SPECIAL_CHARACTERS: Final = frozenset("~^:?*[\\")
_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f]")


def _utf8_length(name: str) -> int:
    # surrogatepass: a lone surrogate cannot reach PostgreSQL, but must not crash here.
    return len(name.encode("utf-8", "surrogatepass"))


def branch_name_violation(name: str) -> str | None:
    """The text of the first rule ``name`` breaks, or None when it is a valid branch name."""
    if name == "":
        return EMPTY
    if _utf8_length(name) > MAX_BYTES:
        return TOO_LONG
    if _CONTROL_RE.search(name):
        return CONTROL
    if " " in name:
        return SPACE
    if not SPECIAL_CHARACTERS.isdisjoint(name):
        return SPECIAL
    if ".." in name:
        return DOT_DOT
    if "@{" in name:
        return AT_BRACE
    if name == "@":
        return AT
    if name.startswith("-"):
        return LEADING_DASH
    if name.startswith("/"):
        return LEADING_SLASH
    if name.endswith("/"):
        return TRAILING_SLASH
    if "//" in name:
        return DOUBLE_SLASH
    components = name.split("/")
    if any(component.startswith(".") for component in components):
        return DOT_COMPONENT
    if any(component.endswith(".lock") for component in components):
        return LOCK_COMPONENT
    if name.endswith("."):
        return TRAILING_DOT
    return None


def is_valid_branch_name(name: str) -> bool:
    """True when ``name`` breaks none of the branch-name rules (see the module docstring)."""
    return branch_name_violation(name) is None
