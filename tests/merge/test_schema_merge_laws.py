"""Laws of pggit.merge over random histories, against a Python model of per-object three-way merge.

Each example builds a base schema (tables with columns, views over some of their columns,
SQL functions counting a column), commits it on main, then makes random changes on a
branch `f` and on `main` from that base (tables and columns added, dropped, retyped,
renamed; views and functions added, dropped, replaced). The one live schema is brought
back to the base between the two sides with the DDL recorded on a scratch branch, so
each side's history is what it would be in a database of its own.

The model (`expected`) knows each side's objects with their lineage (which base object
each one is, through renames) and reads the definitions from `schema_at` of the three
commits. It merges per object on states (identity, definition) and predicts, exactly,
the conflicts (kind, object, identity on each side), the merged schema under 'ours' and
'theirs', and the dependency conflicts: a view (from the columns it selects) or a
function (by the words of its text) that one side added or changed, using a column,
table or table name the other side took away. Nothing else may be called a conflict.

Laws: the conflicts are the model's; 'fail' with conflicts changes nothing; a merge
without conflicts, and 'ours' / 'theirs', give the model's schema and `changes`; the
merge's migration applied to the live schema at the target's old head gives exactly the
merged schema (`schema_at('WORKING')`); a merge without conflicts is symmetric (theirs
into ours equals ours into theirs); merge(x, x) and merging again are up to date; a
branch whose base is the target's head fast-forwards; an unchanged branch merges with
zero conflicts and zero changes; diff(x, x) is empty. The second test draws disjoint
changes (each side touches its own tables) and checks that they never conflict.

Cost: every example runs in one rolled-back transaction of the test's database. The
second test (two merges and a migration per example) takes half the profile's examples.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.pggit_level(min=4)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                    deadline=None)
# the heavier test takes half of the profile's examples (ci: 12, thorough: 1,000)
half_of_profile = settings(reuse_db, max_examples=max(5, settings().max_examples // 2))

S = "app"
TYPES = ("integer", "bigint", "text")
RETYPE = {"integer": "bigint", "bigint": "integer"}
COLUMNS = ("c0", "c1", "c2", "k0", "k1")

Key = tuple[str, str, str]            # ('base' | 'new', kind, identity in the base / of the addition)
State = tuple[str, str] | None        # (identity, definition), None: absent
Schema = dict[tuple[str, str], str]   # (kind, identity) -> definition


# ---- the model's objects ---------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    origin: str | None                     # its name in the base; None: added on this side
    cols: tuple[tuple[str, str], ...]      # (name, type), in order


@dataclass(frozen=True)
class View:
    origin: str | None
    table: str                             # the table it selects from (its current name)
    cols: tuple[str, ...]                  # the table's columns it selects


@dataclass(frozen=True)
class Func:
    origin: str | None
    table: str                             # the table named in its body (text: not renamed along)
    col: str
    k: int


@dataclass
class Side:
    tables: dict[str, Table]
    views: dict[str, View]
    funcs: dict[str, Func]

    def copy(self) -> Side:
        return Side(dict(self.tables), dict(self.views), dict(self.funcs))

    def relations(self) -> set[str]:
        return set(self.tables) | set(self.views)


@dataclass(frozen=True)
class Pools:
    """Names a side may touch or take: disjoint pools make disjoint histories."""

    tables: frozenset[str] | None          # base tables it may change (None: all)
    new_tables: tuple[str, ...]
    renames: tuple[str, ...]
    new_views: tuple[str, ...]
    new_funcs: tuple[str, ...]
    # column renames come out of generate_migration as a drop and an add (column order
    # differs): left out where the merge's migration is applied (docs/REFS_AND_MERGE.md TODO 2)
    column_renames: bool = True


SHARED = Pools(None, ("n0", "n1"), ("r0", "r1"), ("w0", "w1"), ("g0", "g1"))


def view_sql(name: str, v: View) -> str:
    return f"CREATE VIEW {S}.{name} AS SELECT {', '.join(v.cols)} FROM {S}.{v.table}"


def func_sql(name: str, f: Func) -> str:
    return (f"CREATE OR REPLACE FUNCTION {S}.{name}() RETURNS bigint LANGUAGE sql "
            f"AS $$SELECT count({f.col}) + {f.k} FROM {S}.{f.table}$$")


def table_sql(name: str, t: Table) -> str:
    return f"CREATE TABLE {S}.{name} ({', '.join(f'{c} {ty}' for c, ty in t.cols)})"


# ---- drawing histories -----------------------------------------------------------------------


@st.composite
def base_schemas(draw: st.DrawFn) -> Side:
    side = Side({}, {}, {})
    for i in range(draw(st.integers(2, 3))):
        cols = draw(st.lists(st.sampled_from(COLUMNS[:3]), min_size=1, max_size=3, unique=True))
        side.tables[f"t{i}"] = Table(f"t{i}", (("id", "integer"),) + tuple(
            (c, draw(st.sampled_from(TYPES))) for c in sorted(cols)))
    names = sorted(side.tables)
    for i in range(draw(st.integers(0, 2))):
        t = draw(st.sampled_from(names))
        cols = draw(st.lists(st.sampled_from([c for c, _ in side.tables[t].cols]), min_size=1, unique=True))
        side.views[f"v{i}"] = View(f"v{i}", t, tuple(cols))
    for i in range(draw(st.integers(0, 2))):
        t = draw(st.sampled_from(names))
        col = draw(st.sampled_from([c for c, _ in side.tables[t].cols if c != "id"] or ["id"]))
        side.funcs[f"f{i}"] = Func(f"f{i}", t, col, 0)
    return side


def base_ddl(side: Side) -> list[str]:
    out = [f"CREATE SCHEMA {S}"]
    out += [table_sql(n, t) for n, t in sorted(side.tables.items())]
    out += [view_sql(n, v) for n, v in sorted(side.views.items())]
    out += [func_sql(n, f) for n, f in sorted(side.funcs.items())]
    return out


def free(pool: Iterable[str], taken: set[str]) -> list[str]:
    return [n for n in pool if n not in taken]


def stale(side: Side, table: str, col: str | None = None) -> list[str]:
    """Drop the functions whose text names what goes away (PostgreSQL does not: they would fail later)."""
    gone = sorted(f for f, fn in side.funcs.items() if fn.table == table and col in (None, fn.col))
    for f in gone:
        del side.funcs[f]
    return [f"DROP FUNCTION {S}.{f}()" for f in gone]


def draw_op(draw: st.DrawFn, side: Side, pools: Pools) -> list[str]:
    """One random change of `side` (mutated) within `pools`; returns its DDL."""
    tables = sorted(t for t, tb in side.tables.items()
                    if pools.tables is None or tb.origin is None or tb.origin in pools.tables)
    mine = set(tables)
    views = sorted(v for v, vw in side.views.items() if vw.table in mine)
    funcs = sorted(f for f, fn in side.funcs.items() if fn.table in mine)
    options = []
    if free(pools.new_tables, side.relations()):
        options.append("add_table")
    if tables:
        # the changes that make renames and dependencies come twice as often
        options += ["drop_table", "add_column", "drop_column", "retype", "rename_table", "add_view",
                    "add_function"] * 2 + ["rename_table", "drop_column", "add_view", "add_function"]
        options += ["rename_column"] * 2 if pools.column_renames else []
    if views:
        options += ["drop_view", "replace_view"]
    if funcs:
        options += ["drop_function", "replace_function"]
    op = draw(st.sampled_from(options))
    if op == "add_table":
        name = draw(st.sampled_from(free(pools.new_tables, side.relations())))
        cols = draw(st.lists(st.sampled_from(COLUMNS[:3]), max_size=2, unique=True))
        side.tables[name] = Table(None, (("id", "integer"),) + tuple((c, draw(st.sampled_from(TYPES)))
                                                                    for c in sorted(cols)))
        return [table_sql(name, side.tables[name])]
    if op in ("drop_view", "replace_view"):
        name = draw(st.sampled_from(views))
        if op == "drop_view":
            del side.views[name]
            return [f"DROP VIEW {S}.{name}"]
        t = draw(st.sampled_from(tables))
        cols = draw(st.lists(st.sampled_from([c for c, _ in side.tables[t].cols]), min_size=1, unique=True))
        side.views[name] = View(side.views[name].origin, t, tuple(cols))
        return [f"DROP VIEW {S}.{name}", view_sql(name, side.views[name])]
    if op in ("drop_function", "replace_function"):
        name = draw(st.sampled_from(funcs))
        if op == "drop_function":
            del side.funcs[name]
            return [f"DROP FUNCTION {S}.{name}()"]
        t = draw(st.sampled_from(tables))
        col = draw(st.sampled_from([c for c, _ in side.tables[t].cols]))
        side.funcs[name] = Func(side.funcs[name].origin, t, col, side.funcs[name].k + 1)
        return [func_sql(name, side.funcs[name])]
    t = draw(st.sampled_from(tables))
    tb = side.tables[t]
    names = [c for c, _ in tb.cols]
    others = [c for c in names if c != "id"]
    if op == "drop_table":
        del side.tables[t]
        side.views = {v: vw for v, vw in side.views.items() if vw.table != t}
        return stale(side, t) + [f"DROP TABLE {S}.{t} CASCADE"]
    if op == "add_view":
        name = free(pools.new_views, side.relations())
        if not name:
            return []
        cols = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
        side.views[name[0]] = View(None, t, tuple(cols))
        return [view_sql(name[0], side.views[name[0]])]
    if op == "add_function":
        name = free(pools.new_funcs, set(side.funcs))
        if not name:
            return []
        side.funcs[name[0]] = Func(None, t, draw(st.sampled_from(names)), 0)
        return [func_sql(name[0], side.funcs[name[0]])]
    if op == "rename_table":
        new = free(pools.renames, side.relations())
        if not new:
            return []
        side.tables[new[0]] = side.tables.pop(t)
        side.views = {v: replace(vw, table=new[0]) if vw.table == t else vw for v, vw in side.views.items()}
        return stale(side, t) + [f"ALTER TABLE {S}.{t} RENAME TO {new[0]}"]
    if op == "add_column":
        new = free(COLUMNS, set(names))
        if not new:
            return []
        c, ty = draw(st.sampled_from(new)), draw(st.sampled_from(TYPES))
        side.tables[t] = replace(tb, cols=tb.cols + ((c, ty),))
        return [f"ALTER TABLE {S}.{t} ADD COLUMN {c} {ty}"]
    if not others:
        return []
    c = draw(st.sampled_from(others))
    used = [v for v, vw in side.views.items() if vw.table == t and c in vw.cols]
    if op == "drop_column":
        side.tables[t] = replace(tb, cols=tuple(x for x in tb.cols if x[0] != c))
        for v in used:
            del side.views[v]
        return stale(side, t, c) + [f"ALTER TABLE {S}.{t} DROP COLUMN {c} CASCADE"]
    if op == "retype":
        ty = dict(tb.cols)[c]
        if ty not in RETYPE or used:  # a column a view uses cannot change its type
            return []
        side.tables[t] = replace(tb, cols=tuple((n, RETYPE[ty] if n == c else y) for n, y in tb.cols))
        return [f"ALTER TABLE {S}.{t} ALTER COLUMN {c} TYPE {RETYPE[ty]}"]
    assert op == "rename_column"
    new = free(COLUMNS, set(names))
    if not new:
        return []
    n = draw(st.sampled_from(new))
    side.tables[t] = replace(tb, cols=tuple((n if x == c else x, y) for x, y in tb.cols))
    side.views = {v: replace(vw, cols=tuple(n if x == c else x for x in vw.cols)) if vw.table == t else vw
                  for v, vw in side.views.items()}
    return stale(side, t, c) + [f"ALTER TABLE {S}.{t} RENAME COLUMN {c} TO {n}"]


@st.composite
def histories(draw: st.DrawFn, base: Side, pools: Pools, max_ops: int = 4) -> tuple[Side, list[str]]:
    side, ddl = base.copy(), []
    for _ in range(draw(st.integers(1, max_ops))):
        ddl += draw_op(draw, side, pools)
    return side, ddl


# ---- the model ---------------------------------------------------------------------------------


def ident(kind: str, name: str) -> str:
    return f"{S}.{name}()" if kind == "function" else f"{S}.{name}"


def lineage(side: Side) -> dict[tuple[str, str], str | None]:
    """(kind, identity) -> origin identity (None: added on this side) of the modelled objects."""
    out: dict[tuple[str, str], str | None] = {}
    for kind, objects in (("table", side.tables), ("view", side.views), ("function", side.funcs)):
        for name, obj in objects.items():
            out[(kind, ident(kind, name))] = None if obj.origin is None else ident(kind, obj.origin)
    return out


def keyed(schema: Schema, side: Side | None, base: Schema) -> dict[Key, State]:
    origins = lineage(side) if side is not None else {}
    out: dict[Key, State] = {}
    for (kind, identity), definition in schema.items():
        if (kind, identity) in origins:
            origin = origins[(kind, identity)]
        else:  # schemas and anything the model does not change
            origin = identity if (kind, identity) in base else None
        key = ("base", kind, origin) if origin is not None else ("new", kind, identity)
        assert key not in out
        out[key] = (identity, definition)
    return out


def merge_states(b: State, o: State, t: State) -> tuple[State, str | None, str | None]:
    """(merged state, conflict kind, detail) of one object: the per-object rule."""
    if o == t:
        return o, None, None
    if o == b:
        return t, None, None
    if t == b:
        return o, None, None
    if o is None or t is None:
        return o, "modify_delete", None
    bi, bd = b if b is not None else (None, None)
    identity = o[0] if o[0] == t[0] else t[0] if o[0] == bi else o[0] if t[0] == bi else None
    definition = o[1] if o[1] == t[1] else t[1] if o[1] == bd else o[1] if t[1] == bd else None
    if identity is None:
        return o, "both_changed", f"renamed to {o[0]} on ours, to {t[0]} on theirs"
    if definition is None:
        return o, "both_changed", None
    return (identity, definition), None, None


def word(name: str, text: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text, re.IGNORECASE) is not None


def relname(identity: str) -> str:
    return identity.split(".", 1)[1]


@dataclass
class Row:
    key: Key
    b: State
    o: State
    t: State
    merged: State
    conflict: str | None


def expected(base_side: Side, sides: dict[str, Side], schemas: dict[str, Schema]) -> list[Row]:
    """The model's three-way merge: one Row per object whose state is not equal everywhere."""
    base = schemas["base"]
    kb = keyed(base, base_side, base)
    ko = keyed(schemas["ours"], sides["ours"], base)
    kt = keyed(schemas["theirs"], sides["theirs"], base)
    rows: list[Row] = []
    for key in sorted(set(kb) | set(ko) | set(kt)):
        b, o, t = kb.get(key), ko.get(key), kt.get(key)
        if o == b and t == b:
            continue
        merged, conflict, _ = merge_states(b, o, t)
        rows.append(Row(key, b, o, t, merged, conflict))
    # two objects that may end at one name: both conflicts
    claims: dict[tuple[str, str], set[Key]] = {}
    for r in rows:
        names = [r.merged[0]] if r.conflict is None and r.merged else \
            [s[0] for s in (r.o, r.t) if s is not None] if r.conflict else []
        for n in names:
            claims.setdefault((r.key[1], n), set()).add(r.key)
    for r in rows:
        if r.conflict is None and r.merged and len(claims[(r.key[1], r.merged[0])]) > 1:
            r.conflict, r.merged = "both_changed", r.o
    # what each side took away from a base table: (table key identity, column, renamed to)
    gone: dict[str, list[tuple[str, str | None, str | None]]] = {"ours": [], "theirs": []}
    for r in rows:
        if r.key[0] != "base" or r.key[1] != "table":
            continue
        base_cols = [c for c, _ in base_side.tables[relname(r.key[2])].cols]
        for name, s in (("ours", r.o), ("theirs", r.t)):
            if s is None:
                gone[name] += [(r.key[2], c, None) for c in base_cols] + [(r.key[2], None, None)]
                continue
            if s[1] != r.b[1]:
                side_cols = {c for c, _ in sides[name].tables[relname(s[0])].cols}
                gone[name] += [(r.key[2], c, None) for c in base_cols if c not in side_cols]
            if s[0] != r.key[2]:
                gone[name].append((r.key[2], None, s[0]))
    for r in rows:
        if r.conflict is not None or r.key[1] not in ("view", "function"):
            continue
        for name, other, s in (("ours", "theirs", r.o), ("theirs", "ours", r.t)):
            if s is None or (r.b is not None and s[1] == r.b[1]):
                continue
            side = sides[name]
            if r.key[1] == "view":
                v = side.views[relname(s[0])]
                table_at = ident("table", v.table)
                origin = side.tables[v.table].origin
                key = ident("table", origin) if origin else table_at
                hit = any(g[0] == key and (g[1] in v.cols or (g[1] is None and g[2] is None)
                                           or (g[2] is not None and g[2] != table_at))
                          for g in gone[other])
            else:
                hit = False
                for tbl, col, renamed_to in gone[other]:
                    own = next((ident("table", n) for n, tb in side.tables.items()
                                if tb.origin is not None and ident("table", tb.origin) == tbl), tbl)
                    if col is not None:
                        hit |= word(col, s[1]) and (word(relname(tbl), s[1]) or word(relname(own), s[1]))
                    elif renamed_to is not None:
                        hit |= renamed_to != own and word(relname(tbl), s[1])
            if hit:
                r.conflict = "dependency"
                break
    return rows


def conflict_set(rows: list[Row]) -> set[tuple]:
    return {(r.key[1], r.key[2], r.o and r.o[0], r.t and r.t[0], r.conflict) for r in rows if r.conflict}


def merged_schema(ours: Schema, rows: list[Row], strategy: str) -> tuple[Schema, int]:
    """ours with every object set to its merged state (conflicts: the strategy's side); and `changes`."""
    out = dict(ours)
    sets: list[tuple[tuple[str, str], str]] = []
    changes = 0
    for r in rows:
        state = r.merged if r.conflict is None else r.o if strategy == "ours" else r.t
        changes += state != r.o
        if r.o is not None:
            out.pop((r.key[1], r.o[0]), None)
        if state is not None:
            sets.append(((r.key[1], state[0]), state[1]))
    out.update(sets)
    return out, changes


# ---- the database side -----------------------------------------------------------------------


def commit(conn: psycopg.Connection, branch: str) -> str:
    return conn.execute("SELECT pggit.commit_changes(%s, '')", (branch,)).fetchone()[0]


def schema_at(conn: psycopg.Connection, ref: str) -> Schema:
    return {(k, i): d for k, i, d, _ in conn.execute("SELECT * FROM pggit.schema_at(%s)", (ref,)).fetchall()}


def merge(conn: psycopg.Connection, source: str, target: str = "main", strategy: str = "fail") -> dict:
    cur = conn.execute("SELECT * FROM pggit.merge(%s, %s, %s)", (source, target, strategy))
    return dict(zip([d.name for d in cur.description], cur.fetchone(), strict=True))


def conflicts(conn: psycopg.Connection, merge_id: int) -> set[tuple]:
    return set(conn.execute(
        "SELECT object_kind, object_identity, ours_identity, theirs_identity, kind FROM pggit.merge_conflicts "
        "WHERE merge_id = %s", (merge_id,)).fetchall())


def on(conn: psycopg.Connection, branch: str, ddl: list[str]) -> str:
    conn.execute("SELECT pggit.checkout(%s)", (branch,))
    for statement in ddl:
        conn.execute(statement)
    return commit(conn, branch)


def reset(conn: psycopg.Connection, base_side: Side, ref: str) -> None:
    """The live schema rebuilt as the base, its DDL pending on the branch `scratch` (never merged)."""
    conn.execute("SELECT pggit.checkout('scratch')")
    conn.execute(f"DROP SCHEMA {S} CASCADE")
    for statement in base_ddl(base_side):
        conn.execute(statement)
    assert conn.execute("SELECT count(*) FROM pggit.diff('WORKING', %s)", (ref,)).fetchone() == (0,)


def apply_migration_of(conn: psycopg.Connection, row: dict) -> None:
    """Run the merge's migration (generate_migration(old head, merge commit)) as a user would:
    every step, the commented ones (lossy, each with a warning) uncommented."""
    steps = conn.execute("SELECT step, statement, warning FROM pggit.generate_migration(%s, %s) ORDER BY step",
                         (row["ours_hash"], row["commit_hash"])).fetchall()
    level5 = conn.execute("SELECT pg_catalog.to_regprocedure('pggit.uncomment_lines(text)') IS NOT NULL").fetchone()[0]

    def warning_lines(w: str) -> str:  # level 5 comments every line of a warning (pggit.comment_lines)
        return re.sub("(\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])", r"\1-- ", f"-- WARNING: {w}") if level5 \
            else f"-- WARNING: {w}"

    script = "\n".join((f"{warning_lines(w)}\n" if w else "") + s for _, s, w in steps)
    assert row["migration"] == script
    conn.execute("SELECT pggit.checkout('scratch')")
    for _, statement, warning in steps:
        if statement.startswith("-- "):
            assert warning is not None and statement.endswith(";"), statement
            statement = (conn.execute("SELECT pggit.uncomment_lines(%s)", (statement,)).fetchone()[0] if level5
                         else statement[3:])
        conn.execute(statement)
    conn.execute("SELECT pggit.checkout('main')")


def build(conn: psycopg.Connection, base_side: Side, theirs_ddl: list[str], ours_ddl: list[str]) -> dict[str, str]:
    """Base on main; `theirs_ddl` on branch f; the live schema back to the base; `ours_ddl` on main."""
    conn.execute("SET LOCAL pggit.strict = on")
    conn.execute("SELECT pggit.checkout('main')")
    for statement in base_ddl(base_side):
        conn.execute(statement)
    refs = {"base": commit(conn, "main")}
    for branch in ("f", "scratch", "ff", "same"):
        conn.execute("SELECT pggit.create_branch(%s)", (branch,))
    refs["theirs"] = on(conn, "f", theirs_ddl)
    reset(conn, base_side, refs["base"])
    refs["ours"] = on(conn, "main", ours_ddl)
    assert conn.execute("SELECT count(*) FROM pggit.diff('WORKING', 'main')").fetchone() == (0,)
    return refs


def check_merged(conn: psycopg.Connection, row: dict, want: Schema, changes: int) -> None:
    assert row["status"] == "merged"
    assert schema_at(conn, row["commit_hash"]) == want
    assert row["changes"] == changes


# ---- the laws --------------------------------------------------------------------------------


@reuse_db
@given(data=st.data())
def test_merge_follows_the_model(pggit_conn: psycopg.Connection, data: st.DataObject) -> None:
    conn = pggit_conn
    base_side = data.draw(base_schemas(), label="base")
    theirs_side, theirs_ddl = data.draw(histories(base_side, SHARED), label="theirs (branch f)")
    ours_side, ours_ddl = data.draw(histories(base_side, SHARED), label="ours (main)")
    with conn.transaction(force_rollback=True):
        refs = build(conn, base_side, theirs_ddl, ours_ddl)
        schemas = {side: schema_at(conn, refs[side]) for side in ("base", "ours", "theirs")}
        rows = expected(base_side, {"ours": ours_side, "theirs": theirs_side}, schemas)
        want_conflicts = conflict_set(rows)
        for kind in sorted({c[-1] for c in want_conflicts}) or ["none"]:
            event(f"conflict: {kind}")
        if any(r.o and r.t and r.o[0] != r.t[0] for r in rows):
            event("an object with different names on the two sides")
        assert conn.execute("SELECT count(*) FROM pggit.diff('main', 'main')").fetchone() == (0,)

        with conn.transaction(force_rollback=True):
            before = conn.execute("SELECT name, head_commit_hash FROM pggit.branches ORDER BY name").fetchall()
            row = merge(conn, "f")
            assert (row["base_hash"], row["ours_hash"], row["theirs_hash"]) == (
                refs["base"], refs["ours"], refs["theirs"])
            assert conflicts(conn, row["merge_id"]) == want_conflicts
            assert row["conflicts"] == len(want_conflicts)
            if want_conflicts:
                assert row["status"] == "conflicts" and row["commit_hash"] is None
                assert conn.execute(
                    "SELECT name, head_commit_hash FROM pggit.branches ORDER BY name").fetchall() == before
            else:
                want, changes = merged_schema(schemas["ours"], rows, "fail")
                check_merged(conn, row, want, changes)
                assert merge(conn, "f")["status"] == "up-to-date"
            assert merge(conn, "main")["status"] == "up-to-date"

        if want_conflicts:
            for strategy in ("ours", "theirs"):
                with conn.transaction(force_rollback=True):
                    want, changes = merged_schema(schemas["ours"], rows, strategy)
                    row = merge(conn, "f", strategy=strategy)
                    assert row["status"] == "merged" and row["conflicts"] == len(want_conflicts)
                    assert schema_at(conn, row["commit_hash"]) == want
                    assert row["changes"] == changes

        with conn.transaction(force_rollback=True):
            # a branch whose base is the target's head fast-forwards to the source
            row = merge(conn, "f", "ff")
            assert row["status"] == "fast-forward" and schema_at(conn, "ff") == schemas["theirs"]
            # an unchanged branch: zero conflicts, zero changes
            commit(conn, "same")
            row = merge(conn, "same")
            assert (row["status"], row["conflicts"], row["changes"], row["migration"]) == ("merged", 0, 0, "")
            assert schema_at(conn, "main") == schemas["ours"]


def disjoint_pools(base: Side, data: st.DataObject) -> tuple[Pools, Pools]:
    names = sorted(base.tables)
    mine = data.draw(st.sets(st.sampled_from(names)), label="tables of theirs")
    return (Pools(frozenset(mine), ("n0",), ("r0",), ("w0",), ("g0",), column_renames=False),
            Pools(frozenset(names) - mine, ("n1",), ("r1",), ("w1",), ("g1",), column_renames=False))


@half_of_profile
@given(data=st.data())
def test_disjoint_changes_merge_the_same_in_either_order(pggit_conn: psycopg.Connection,
                                                         data: st.DataObject) -> None:
    conn = pggit_conn
    base_side = data.draw(base_schemas(), label="base")
    theirs_pools, ours_pools = disjoint_pools(base_side, data)
    theirs_side, theirs_ddl = data.draw(histories(base_side, theirs_pools), label="theirs (branch f)")
    ours_side, ours_ddl = data.draw(histories(base_side, ours_pools), label="ours (main)")
    with conn.transaction(force_rollback=True):
        refs = build(conn, base_side, theirs_ddl, ours_ddl)
        schemas = {side: schema_at(conn, refs[side]) for side in ("base", "ours", "theirs")}
        rows = expected(base_side, {"ours": ours_side, "theirs": theirs_side}, schemas)
        assert conflict_set(rows) == set(), "disjoint histories never conflict"
        want, changes = merged_schema(schemas["ours"], rows, "fail")
        conn.execute("SELECT pggit.create_branch('f2', 'f')")
        row = merge(conn, "f")
        assert row["conflicts"] == 0
        check_merged(conn, row, want, changes)
        # the merge's migration, run on the live schema (at main's old head), gives the merge
        apply_migration_of(conn, row)
        assert schema_at(conn, "WORKING") == want, "the migration brings the old head's schema to the merge"
        # the other way round: main's old head into a copy of f
        other = merge(conn, refs["ours"], "f2")
        assert other["status"] == "merged" and other["conflicts"] == 0
        assert schema_at(conn, "f2") == want, "theirs into ours equals ours into theirs"
