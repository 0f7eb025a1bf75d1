"""One function (or one family of overloads) per file, the file named after it (issue 16).

A newcomer looks for ``pggit.resolve_object`` in ``resolve_object.sql``: every
``CREATE FUNCTION`` / ``PROCEDURE`` / ``AGGREGATE`` in ``sql/functions`` must be in a file
whose name (without ``.sql``) is the routine's name.
"""

from __future__ import annotations

import re

from pggit_sql.levels import functions_dir

CREATE = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE|AGGREGATE)\s+pggit\.(\w+)\s*\(",
                    re.IGNORECASE | re.MULTILINE)


def misplaced() -> list[str]:
    found = []
    for path in sorted(functions_dir().rglob("*.sql")):
        for name in CREATE.findall(path.read_text(encoding="utf-8")):
            if name != path.stem:
                found.append(f"{path.relative_to(functions_dir())}: pggit.{name}")
    return found


def test_every_function_is_in_a_file_of_its_own_name() -> None:
    assert misplaced() == []


def test_every_function_file_defines_something() -> None:
    empty = [path.name for path in functions_dir().rglob("*.sql") if not CREATE.search(path.read_text("utf-8"))]
    assert empty == []
