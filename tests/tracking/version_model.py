"""A small Python model of pggit's semantic-versioning rules for tables, and ALTERs to drive it.

The model is written from the rules in DESIGN.md 4 and the brief, not from the SQL:

- major: a column dropped, renamed or retyped; NOT NULL set on a nullable column; a
  NOT NULL column without default added; a unique, check, foreign-key, primary-key or
  exclusion constraint added; the table renamed;
- minor: a nullable or defaulted column added; an index added; a constraint dropped;
  NOT NULL dropped;
- patch: any other change of the definition (default set, changed or dropped; comment;
  storage; index dropped);
- none: the statement changed nothing the definition shows (e.g. SET NOT NULL on a
  column that already is, a comment set to the same text).

One statement (an ALTER TABLE with several subcommands included) bumps once, at its
highest kind.  :class:`TableModel` holds what the catalog would show; each ``op_*``
method returns ``(sql, kind)`` and updates the model as PostgreSQL will.  Hypothesis
strategies drawing operations valid in the current state are at the end.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hypothesis import strategies as st

from pggit_sql.testing.strategies import quote_ident

RANK = {"none": 0, "patch": 1, "minor": 2, "major": 3}

# type -> (SQL, defaults, types it may change to with ALTER COLUMN TYPE)
TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "integer": (("0", "7"), ("bigint", "numeric(12,2)")),
    "bigint": (("0", "9"), ("numeric(12,2)",)),
    "numeric(12,2)": (("0", "1.5"), ("numeric(14,2)",)),
    "numeric(14,2)": (("0",), ("numeric(12,2)",)),
    "text": (("'x'", "''"), ("character varying(100)",)),
    "character varying(100)": (("'y'",), ("text",)),
}
NUMERIC = {"integer", "bigint", "numeric(12,2)", "numeric(14,2)"}


def bump(version: tuple[int, int, int], kind: str) -> tuple[int, int, int]:
    major, minor, patch = version
    if kind == "major":
        return major + 1, 0, 0
    if kind == "minor":
        return major, minor + 1, 0
    if kind == "patch":
        return major, minor, patch + 1
    return version


def highest(kinds: list[str]) -> str:
    return max(kinds, key=RANK.__getitem__) if kinds else "none"


@dataclass
class Column:
    name: str
    type: str
    not_null: bool = False
    default: str | None = None
    comment: str | None = None
    storage: str | None = None  # None: the type's default


@dataclass
class Constraint:
    name: str
    kind: str  # "check" or "unique"
    column: int  # key into TableModel.columns (stable across renames, like attnum)


@dataclass
class Index:
    name: str
    column: int


@dataclass
class TableModel:
    name: str
    columns: dict[int, Column] = field(default_factory=dict)  # attnum -> column, insertion order = column order
    constraints: dict[str, Constraint] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    comment: str | None = None
    version: tuple[int, int, int] = (1, 0, 0)
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    _attnums: itertools.count = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------------ helpers

    @property
    def qname(self) -> str:
        return quote_ident(self.name)

    def fresh(self, prefix: str) -> str:
        return f"{prefix}_{next(self._counter)}"

    def col(self, attnum: int) -> str:
        return quote_ident(self.columns[attnum].name)

    def create_sql(self) -> str:
        parts = []
        for column in self.columns.values():
            parts.append(" ".join(filter(None, [quote_ident(column.name), column.type,
                                                "NOT NULL" if column.not_null else "",
                                                f"DEFAULT {column.default}" if column.default else ""])))
        return f"CREATE TABLE {self.qname} ({', '.join(parts)})"

    def add_initial_column(self, name: str, type_: str, not_null: bool = False, default: str | None = None) -> None:
        self.columns[next(self._attnums)] = Column(name, type_, not_null, default)

    def apply(self, kind: str) -> None:
        self.version = bump(self.version, kind)

    # ------------------------------------------------------------------ subcommands: (clause, kind)
    # Each returns the ALTER TABLE clause and its kind, and updates the model.

    def add_column(self, type_: str, not_null: bool, default: str | None) -> tuple[str, str]:
        name = self.fresh("c")
        self.columns[next(self._attnums)] = Column(name, type_, not_null, default)
        clause = " ".join(filter(None, [f"ADD COLUMN {quote_ident(name)} {type_}", "NOT NULL" if not_null else "",
                                        f"DEFAULT {default}" if default else ""]))
        return clause, "major" if not_null and default is None else "minor"

    def drop_column(self, attnum: int) -> tuple[str, str]:
        clause = f"DROP COLUMN {self.col(attnum)}"
        del self.columns[attnum]
        for name in [n for n, c in self.constraints.items() if c.column == attnum]:
            del self.constraints[name]
        for name in [n for n, i in self.indexes.items() if i.column == attnum]:
            del self.indexes[name]
        return clause, "major"

    def rename_column(self, attnum: int) -> tuple[str, str]:
        new = self.fresh("r")
        clause = f"RENAME COLUMN {self.col(attnum)} TO {quote_ident(new)}"
        self.columns[attnum].name = new
        return clause, "major"

    def alter_type(self, attnum: int, new_type: str) -> tuple[str, str]:
        column = self.columns[attnum]
        clause = f"ALTER COLUMN {self.col(attnum)} TYPE {new_type}"
        if column.default is not None and new_type not in NUMERIC and column.type in NUMERIC:
            raise ValueError("not generated: a numeric default on a text type")
        column.type = new_type
        column.storage = None  # a new type brings its own storage
        return clause, "major"

    def set_not_null(self, attnum: int) -> tuple[str, str]:
        column = self.columns[attnum]
        kind = "none" if column.not_null else "major"
        column.not_null = True
        return f"ALTER COLUMN {self.col(attnum)} SET NOT NULL", kind

    def drop_not_null(self, attnum: int) -> tuple[str, str]:
        column = self.columns[attnum]
        kind = "minor" if column.not_null else "none"
        column.not_null = False
        return f"ALTER COLUMN {self.col(attnum)} DROP NOT NULL", kind

    def set_default(self, attnum: int, value: str) -> tuple[str, str]:
        column = self.columns[attnum]
        kind = "none" if column.default == value else "patch"
        column.default = value
        return f"ALTER COLUMN {self.col(attnum)} SET DEFAULT {value}", kind

    def drop_default(self, attnum: int) -> tuple[str, str]:
        column = self.columns[attnum]
        kind = "patch" if column.default is not None else "none"
        column.default = None
        return f"ALTER COLUMN {self.col(attnum)} DROP DEFAULT", kind

    def set_storage(self, attnum: int, storage: str) -> tuple[str, str]:
        column = self.columns[attnum]
        default = {"integer": "PLAIN", "bigint": "PLAIN", "numeric(12,2)": "MAIN",
                   "numeric(14,2)": "MAIN"}.get(column.type, "EXTENDED")
        before = column.storage or default
        column.storage = None if storage == default else storage
        return f"ALTER COLUMN {self.col(attnum)} SET STORAGE {storage}", "none" if before == storage else "patch"

    def add_check(self, attnum: int) -> tuple[str, str]:
        name = self.fresh("ck")
        self.constraints[name] = Constraint(name, "check", attnum)
        return f"ADD CONSTRAINT {quote_ident(name)} CHECK ({self.col(attnum)} IS NOT NULL OR true)", "major"

    def add_unique(self, attnum: int) -> tuple[str, str]:
        name = self.fresh("uq")
        self.constraints[name] = Constraint(name, "unique", attnum)
        return f"ADD CONSTRAINT {quote_ident(name)} UNIQUE ({self.col(attnum)})", "major"

    def drop_constraint(self, name: str) -> tuple[str, str]:
        del self.constraints[name]
        return f"DROP CONSTRAINT {quote_ident(name)}", "minor"

    # ------------------------------------------------------------------ statements: (sql, kind)

    def alter(self, clauses: list[tuple[str, str]]) -> tuple[str, str]:
        sql = f"ALTER TABLE {self.qname} " + ", ".join(clause for clause, _ in clauses)
        return sql, highest([kind for _, kind in clauses])

    def create_index(self, attnum: int) -> tuple[str, str]:
        name = self.fresh("ix")
        self.indexes[name] = Index(name, attnum)
        return f"CREATE INDEX {quote_ident(name)} ON {self.qname} ({self.col(attnum)})", "minor"

    def drop_index(self, name: str) -> tuple[str, str]:
        del self.indexes[name]
        return f"DROP INDEX {quote_ident(name)}", "patch"

    def comment_table(self, text: str | None) -> tuple[str, str]:
        kind = "none" if self.comment == text else "patch"
        self.comment = text
        value = "NULL" if text is None else "'" + text.replace("'", "''") + "'"
        return f"COMMENT ON TABLE {self.qname} IS {value}", kind

    def comment_column(self, attnum: int, text: str) -> tuple[str, str]:
        column = self.columns[attnum]
        kind = "none" if column.comment == text else "patch"
        column.comment = text
        return f"COMMENT ON COLUMN {self.qname}.{self.col(attnum)} IS '{text}'", kind

    def rename_table(self) -> tuple[str, str]:
        new = self.fresh(self.name.split("_r")[0] + "_r")
        sql = f"ALTER TABLE {self.qname} RENAME TO {quote_ident(new)}"
        self.name = new
        return sql, "major"


# ---------------------------------------------------------------------- hypothesis: operations


def _clauses(draw: st.DrawFn, model: TableModel) -> list[tuple[str, str]]:
    """One to three ALTER TABLE subcommands valid one after the other."""
    clauses: list[tuple[str, str]] = []
    touched: set[int] = set()  # PostgreSQL refuses two subcommands on one column in some combinations
    for _ in range(draw(st.integers(1, 3))):
        free = [n for n in model.columns if n not in touched]
        choices = ["add_column"]
        if free:
            choices += ["set_not_null", "drop_not_null", "set_default", "drop_default", "alter_type",
                        "add_check", "add_unique", "set_storage"]
        if len(free) > 1:
            choices.append("drop_column")
        if model.constraints and not clauses:
            choices.append("drop_constraint")
        if free and not clauses:
            choices.append("rename_column")  # RENAME is a statement of its own
        op = draw(st.sampled_from(choices))
        if op in ("rename_column",):
            return [model.rename_column(draw(st.sampled_from(free)))]
        if op == "drop_constraint":
            return [model.drop_constraint(draw(st.sampled_from(sorted(model.constraints))))]
        if op == "add_column":
            type_ = draw(st.sampled_from(sorted(TYPES)))
            default = draw(st.none() | st.sampled_from(TYPES[type_][0]))
            clauses.append(model.add_column(type_, draw(st.booleans()), default))
            touched.add(max(model.columns))  # not altered again in the statement that adds it
            continue
        attnum = draw(st.sampled_from(free))
        column = model.columns[attnum]
        touched.add(attnum)
        if op == "drop_column":
            clauses.append(model.drop_column(attnum))
        elif op == "set_not_null":
            clauses.append(model.set_not_null(attnum))
        elif op == "drop_not_null":
            clauses.append(model.drop_not_null(attnum))
        elif op == "set_default":
            clauses.append(model.set_default(attnum, draw(st.sampled_from(TYPES[column.type][0]))))
        elif op == "drop_default":
            clauses.append(model.drop_default(attnum))
        elif op == "alter_type":
            target = draw(st.sampled_from(TYPES[column.type][1]))
            if column.default is not None and (column.type in NUMERIC) != (target in NUMERIC):
                clauses.append(model.drop_default(attnum))
            else:
                clauses.append(model.alter_type(attnum, target))
        elif op == "add_check":
            clauses.append(model.add_check(attnum))
        elif op == "add_unique":
            clauses.append(model.add_unique(attnum))
        elif op == "set_storage":
            clauses.append(model.set_storage(attnum, draw(st.sampled_from(["PLAIN", "MAIN", "EXTERNAL", "EXTENDED"])
                                                      if column.type not in ("integer", "bigint")
                                                      else st.just("PLAIN"))))
    return clauses


@st.composite
def statements(draw: st.DrawFn, model: TableModel) -> tuple[str, str]:
    """One DDL statement on the model's table that PostgreSQL accepts, with its expected kind."""
    options = ["alter", "alter", "alter", "create_index", "comment_table", "rename_table"]
    if model.indexes:
        options.append("drop_index")
    if model.columns:
        options.append("comment_column")
    op = draw(st.sampled_from(options))
    if op == "alter":
        return model.alter(_clauses(draw, model))
    if op == "create_index":
        if not model.columns:
            return model.alter([model.add_column("integer", False, None)])
        return model.create_index(draw(st.sampled_from(list(model.columns))))
    if op == "drop_index":
        return model.drop_index(draw(st.sampled_from(sorted(model.indexes))))
    if op == "comment_table":
        return model.comment_table(draw(st.sampled_from([None, "a table", "another text", "it's"])))
    if op == "comment_column":
        return model.comment_column(draw(st.sampled_from(list(model.columns))), draw(st.sampled_from(["x", "y"])))
    return model.rename_table()
