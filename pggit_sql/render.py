"""Text for ``pggit-sql diff``, ``show`` and ``migration``: pure functions over level-4 rows.

Promises: plain text unless ``color`` is true, then ANSI SGR codes only (bold headers,
red ``-`` lines, green ``+`` lines, cyan ``@@`` hunks); a diff's changes are grouped in
the order added, removed, modified, renamed, each object with a unified diff
(:mod:`difflib`) of its old and new definitions (an added object from nothing, a
removed one to nothing); a renamed column (``object_kind`` ``column``, listed with
the renamed objects as ``column <old> -> <new>``) shows its definition line as one
``-`` and one ``+`` line, without file headers.  A migration script is the statements
in step order, each warning written as ``-- WARNING: ...`` lines just above its statement.
A commented step stays a comment on every line (:func:`comment_step`), whatever the
database returned: a name with a line break cannot end the comment early.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from pggit_sql.refs import CHANGE_KINDS, Change, Step

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
RED = "\x1b[31m"
GREEN = "\x1b[32m"
CYAN = "\x1b[36m"
YELLOW = "\x1b[33m"


def paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color and text else text


def _lines(definition: str | None) -> list[str]:
    return definition.splitlines() if definition else []


def unified(change: Change, from_label: str, to_label: str) -> list[str]:
    """The unified diff of the change's old and new definitions (no line-end characters)."""
    old_name = change.old_identity or change.object_identity
    return list(difflib.unified_diff(
        _lines(change.old_definition), _lines(change.new_definition),
        fromfile=f"{from_label}:{old_name}" if change.change != "added" else "/dev/null",
        tofile=f"{to_label}:{change.object_identity}" if change.change != "removed" else "/dev/null",
        lineterm=""))


def _color_line(line: str, color: bool) -> str:
    if line.startswith(("---", "+++")):
        return paint(line, BOLD, color)
    if line.startswith("@@"):
        return paint(line, CYAN, color)
    if line.startswith("-"):
        return paint(line, RED, color)
    if line.startswith("+"):
        return paint(line, GREEN, color)
    return line


def grouped(changes: Sequence[Change]) -> dict[str, list[Change]]:
    """The changes by kind, in the order added, removed, modified, renamed (empty kinds kept)."""
    groups: dict[str, list[Change]] = {kind: [] for kind in CHANGE_KINDS}
    for c in changes:
        groups.setdefault(c.change, []).append(c)
    return groups


def diff_text(changes: Sequence[Change], from_label: str, to_label: str, color: bool) -> str:
    """The human text of ``pggit-sql diff``."""
    if not changes:
        return f"no differences between {from_label} and {to_label}"
    out: list[str] = []
    for kind, items in grouped(changes).items():
        if not items:
            continue
        out.append(paint(f"{kind} ({len(items)})", BOLD, color))
        for c in items:
            name = (f"{c.old_identity} -> {c.object_identity}" if c.change == "renamed"
                    else c.object_identity)
            out.append(f"  {c.object_kind} {name}")
            if c.object_kind == "column":
                # a renamed column: its definition line before and after, no file headers
                out += [f"    {_color_line(line, color)}"
                        for line in ([f"-{x}" for x in _lines(c.old_definition)]
                                     + [f"+{x}" for x in _lines(c.new_definition)])]
                continue
            out += [f"    {_color_line(line, color)}" for line in unified(c, from_label, to_label)]
    return "\n".join(out)


def diff_json(changes: Sequence[Change], from_ref: str, to_ref: str, commits: tuple[str | None, str | None]
              ) -> dict[str, Any]:
    groups = grouped(changes)
    return {"from": from_ref, "to": to_ref, "from_commit": commits[0], "to_commit": commits[1],
            "counts": {k: len(v) for k, v in groups.items()},
            "changes": [dict(c.to_dict(), diff=unified(c, from_ref, to_ref)) for c in changes]}


def comment(prefix: str, text: str) -> list[str]:
    """``text`` as SQL comment lines, each starting with ``-- {prefix}``."""
    return [f"-- {prefix}{line}".rstrip() for line in (text.splitlines() or [""])]


# every line break a client may split on (PostgreSQL itself ends a -- comment at \n or \r)
_LINE_BREAK = re.compile("(\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])")


def comment_step(statement: str) -> str:
    """A commented step (``-- ...``) with ``-- `` before each of its lines that is not a comment yet.

    Level 5's ``generate_migration`` already comments every line (``pggit.comment_lines``),
    so this changes nothing there; a level-4 database returns a commented step whose
    quoted name or literal holds a line break with the rest of it uncommented, which
    this closes. Other statements are returned as they are.
    """
    if not statement.startswith("--"):
        return statement
    parts = _LINE_BREAK.split(statement)
    out = [parts[0]]
    for brk, line in zip(parts[1::2], parts[2::2], strict=True):
        out += [brk, line if line.startswith("--") else f"-- {line}"]
    return "".join(out)


def schema_script(steps: Sequence[Step], header: Sequence[str]) -> str:
    """The migration as one SQL script: header comments, then each step (its warning above it)."""
    out = [line for h in header for line in comment("", h)]
    if not steps:
        out.append("-- nothing to do: the two schemas are equal")
    for s in steps:
        out.append("")
        out.append(f"-- step {s.step}")
        if s.locks:
            out += comment("lock: ", s.locks)
        if not s.transactional:
            out.append("-- outside a transaction block")
        if s.warning:
            out += comment("WARNING: ", s.warning)
        out.append(comment_step(s.statement))
    return "\n".join(out) + "\n"


def _when(value: Any) -> str:
    return str(value).replace("T", " ")


def show_text(data: dict[str, Any], color: bool) -> str:
    """The human text of ``pggit-sql show``: the commit, then its recorded changes."""
    c = data["commit"]
    out = [paint(f"commit {c['hash']}", YELLOW, color)]
    if c.get("merge_parent_hash"):
        out.append(f"Merge:   {c['parent_hash']} {c['merge_parent_hash']}")
    out.append(f"Parent:  {c.get('parent_hash') or '(none: a root commit)'}")
    out += [f"Branch:  {c['branch']}", f"Author:  {c['author']}", f"Date:    {_when(c['committed_at'])}",
            f"Schema:  {c.get('schema_hash') or '(none: made before level 2)'}", ""]
    out += [f"    {line}".rstrip() for line in (c.get("message") or "").splitlines()] or ["    (no message)"]
    changes = data.get("changes") or []
    out += ["", paint(f"changes ({len(changes)})", BOLD, color) if changes else "no recorded changes"]
    for h in changes:
        name = h.get("object_identity") or ""
        if h.get("old_identity") and h["old_identity"] != name:
            name = f"{h['old_identity']} -> {name}"
        target = " ".join(p for p in (h.get("object_kind"), name) if p) or "-"
        version = f"  {h['new_version']}" if h.get("new_version") else ""
        out.append(f"  #{h['id']:<6} {h['change']:<8} {h['command_tag']:<22} {target}{version}")
    return "\n".join(out)
