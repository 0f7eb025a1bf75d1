"""generate_migration (level 4) for types, domains, range types, enums and sequences.

The round-trip oracle: hypothesis draws a schema A (enums, domains with named CHECK
constraints, defaults and NOT NULL, composite types, range types, sequences with their
options and owners, and tables whose columns use all of them, one of them defaulting to
a sequence) and a schema B derived from it (types kept, changed, dropped and added;
composite attributes added, dropped, retyped and inserted in the middle; domain
defaults, NOT NULL and constraints changed, a base type changed; a range's subtype
changed; enum labels appended; sequences altered, re-owned, dropped, added; table
columns dropped, retyped away from a dropped type, added with B's types). A is built
and committed, replaced by B (fingerprint taken) and committed; A is built again with
one row in every table, generate_migration(A, B) is applied, commented lossy steps
included (each must carry a warning): the catalog fingerprint of the schema equals
B's, and every table B keeps keeps its row in every column B keeps with an unchanged
type. The exact tests below pin down the statement and warning of each lossy change.
"""

from __future__ import annotations

import dataclasses
import re

import psycopg
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from test_generate_migration import apply, commit, migration, reuse_db

from pggit_sql import catalog
from pggit_sql.testing.strategies import SYSTEM_COLUMNS, identifiers, is_reserved, quote_ident, utf8_prefix

pytestmark = pytest.mark.pggit_level(min=4)

S = "app"


def q(name: str) -> str:
    return f"{S}.{quote_ident(name)}"


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------- model

# domain bases with the CHECK constraints (name -> expression) and defaults that fit them;
# every default and the row's value satisfy every check
DOMAIN_BASES = {
    "integer": ({"pos": "VALUE > -1000", "not7": "VALUE <> 7", "small": "VALUE < 100000"}, ("1", "5"), "1"),
    "text": ({"short": "length(VALUE) < 50", "nonempty": "VALUE <> ''"}, ("'d'",), "'x'"),
}
DOMAIN_BASES["bigint"] = DOMAIN_BASES["integer"]  # B's base of a changed integer domain
ATTRIBUTE_TYPES = {"integer": "1", "bigint": "2", "text": "'t'"}
RANGE_SUBTYPES = {"double precision": "'[1,2)'", "numeric": "'[3,4)'"}


@dataclasses.dataclass(frozen=True)
class Domain:
    base: str
    default: str | None
    not_null: bool
    checks: tuple[str, ...]  # names from DOMAIN_BASES[base]
    comment: str | None


@dataclasses.dataclass(frozen=True)
class Sequence:
    increment: int
    maxvalue: int | None
    cycle: bool
    owner: str | None  # a table of the model: OWNED BY its column id
    comment: str | None


@dataclasses.dataclass
class Model:
    enums: dict[str, tuple[str, ...]]
    domains: dict[str, Domain]
    composites: dict[str, tuple[tuple[str, str], ...]]  # attributes (name, type: ATTRIBUTE_TYPES or an enum)
    ranges: dict[str, str]  # subtype
    sequences: dict[str, Sequence]
    tables: dict[str, tuple[tuple[str, str], ...]]  # columns after "id integer PRIMARY KEY": (name, type)
    defaults: dict[tuple[str, str], str]  # (table, column) -> sequence whose nextval is its default

    def type_sql(self, t: str) -> str:
        return q(t) if t in self.user_types() else t

    def user_types(self) -> set[str]:
        return set(self.enums) | set(self.domains) | set(self.composites) | set(self.ranges)

    def value(self, t: str) -> str:
        if t in self.enums:
            return lit(self.enums[t][0])
        if t in self.domains:
            base = self.domains[t].base
            return self.value(base) if base in self.enums else DOMAIN_BASES[base][2]
        if t in self.composites:
            attrs = ", ".join(self.value(a) for _, a in self.composites[t])
            return f"ROW({attrs})::{q(t)}"
        if t in self.ranges:
            return RANGE_SUBTYPES[self.ranges[t]]
        return ATTRIBUTE_TYPES[t]

    def uses(self) -> set[str]:
        """The user types something of this model uses (a table column or another type)."""
        used = {t for cols in self.tables.values() for _, t in cols}
        used |= {t for attrs in self.composites.values() for _, t in attrs}
        used |= {d.base for d in self.domains.values()}
        return used & self.user_types()

    def build(self, conn: psycopg.Connection) -> None:
        conn.execute(f"CREATE SCHEMA {S}")
        for name, labels in self.enums.items():
            conn.execute(f"CREATE TYPE {q(name)} AS ENUM ({', '.join(map(lit, labels))})")
        for name, d in self.domains.items():
            parts = [f"CREATE DOMAIN {q(name)} AS {self.type_sql(d.base)}"]
            if d.default is not None:
                parts.append(f"DEFAULT {d.default}")
            if d.not_null:
                parts.append("NOT NULL")
            parts += [f"CONSTRAINT {quote_ident(name[:20] + '_' + c)} CHECK ({DOMAIN_BASES[d.base][0][c]})"
                      for c in d.checks]
            conn.execute(" ".join(parts))
            if d.comment is not None:
                conn.execute(f"COMMENT ON DOMAIN {q(name)} IS {lit(d.comment)}")
        for name, attrs in self.composites.items():
            conn.execute(f"CREATE TYPE {q(name)} AS ("
                         + ", ".join(f"{quote_ident(a)} {self.type_sql(t)}" for a, t in attrs) + ")")
        for name, subtype in self.ranges.items():
            conn.execute(f"CREATE TYPE {q(name)} AS RANGE (SUBTYPE = {subtype})")
        for name, s in self.sequences.items():
            conn.execute(f"CREATE SEQUENCE {q(name)} INCREMENT {s.increment}"
                         + (f" MAXVALUE {s.maxvalue}" if s.maxvalue is not None else "")
                         + (" CYCLE" if s.cycle else ""))
            if s.comment is not None:
                conn.execute(f"COMMENT ON SEQUENCE {q(name)} IS {lit(s.comment)}")
        for name, cols in self.tables.items():
            items = ["id integer PRIMARY KEY"]
            for c, t in cols:
                seq = self.defaults.get((name, c))
                items.append(f"{quote_ident(c)} {self.type_sql(t)}"
                             + (f" DEFAULT nextval({lit(q(seq))})" if seq is not None else ""))
            conn.execute(f"CREATE TABLE {q(name)} ({', '.join(items)})")
        for name, s in self.sequences.items():
            if s.owner is not None:
                conn.execute(f"ALTER SEQUENCE {q(name)} OWNED BY {q(s.owner)}.id")

    def fill(self, conn: psycopg.Connection) -> None:
        for name, cols in self.tables.items():
            values = ", ".join(["1"] + [self.value(t) for _, t in cols])
            conn.execute(f"INSERT INTO {q(name)} VALUES ({values})")

    def signature(self, t: str) -> object:
        """What a column's stored value depends on: the type and, for a user type, its definition."""
        for kind in ("enums", "domains", "composites", "ranges"):
            if t in getattr(self, kind):
                return (kind, getattr(self, kind)[t])
        return t


def _names(draw: st.DrawFn, n: int, taken: set[str]) -> list[str]:
    # short enough for <name>_multirange; unique case-insensitively, no leading underscore
    # (array types are named _<name>)
    names = draw(st.lists(identifiers().map(lambda x: utf8_prefix(x, 40))
                          .filter(lambda x: x.strip() != "" and not is_reserved(x) and not x.startswith("_")
                                  and x.lower() not in {t.lower() for t in taken}),
                          min_size=n, max_size=n, unique_by=str.lower))
    taken.update(names)
    return names


def _table_columns(draw: st.DrawFn, model: Model, taken: set[str], lo: int, hi: int) -> list[tuple[str, str]]:
    choices = sorted(model.user_types()) + ["integer", "text"]
    cols = []
    for c in _names(draw, draw(st.integers(lo, hi)), set(taken) | {"id"} | set(SYSTEM_COLUMNS)):
        cols.append((c, draw(st.sampled_from(choices))))
    return cols


@st.composite
def schemas(draw: st.DrawFn) -> Model:
    taken: set[str] = {"id"}
    m = Model({}, {}, {}, {}, {}, {}, {})
    for name in _names(draw, draw(st.integers(0, 2)), taken):
        m.enums[name] = tuple(draw(st.lists(st.sampled_from("abcd"), min_size=1, max_size=3, unique=True)))
    for name in _names(draw, draw(st.integers(0, 2)), taken):
        base = draw(st.sampled_from(["integer", "text"]))
        checks, defaults, _ = DOMAIN_BASES[base]
        default = draw(st.none() | st.sampled_from(defaults))
        m.domains[name] = Domain(base, default, default is not None and draw(st.booleans()),
                                 tuple(draw(st.lists(st.sampled_from(sorted(checks)), max_size=2, unique=True))),
                                 draw(st.none() | st.just("a domain")))
    for name in _names(draw, draw(st.integers(0, 2)), taken):
        kinds = sorted(ATTRIBUTE_TYPES) + sorted(m.enums)
        attrs = _names(draw, draw(st.integers(1, 3)), set())
        m.composites[name] = tuple((a, draw(st.sampled_from(kinds))) for a in attrs)
    for name in _names(draw, draw(st.integers(0, 1)), taken):
        m.ranges[name] = draw(st.sampled_from(sorted(RANGE_SUBTYPES)))
    for name in _names(draw, draw(st.integers(1, 3)), taken):
        m.tables[name] = tuple(_table_columns(draw, m, taken, 1, 3))
    for name in _names(draw, draw(st.integers(0, 2)), taken):
        m.sequences[name] = Sequence(draw(st.sampled_from([1, 2, 5])), draw(st.none() | st.just(10**6)),
                                     draw(st.booleans()), draw(st.none() | st.sampled_from(sorted(m.tables))),
                                     draw(st.none() | st.just("a sequence")))
    for seq in m.sequences:
        if draw(st.booleans()):
            table = draw(st.sampled_from(sorted(m.tables)))
            ints = [c for c, t in m.tables[table] if t == "integer" and (table, c) not in m.defaults]
            if ints:
                m.defaults[(table, ints[0])] = seq
    return m


@st.composite
def mutations(draw: st.DrawFn, a: Model) -> Model:
    taken = {"id"} | a.user_types() | set(a.sequences) | set(a.tables)
    used = a.uses()
    b = Model({}, {}, {}, {}, {}, {}, {})
    for name, labels in a.enums.items():
        if draw(st.integers(0, 4)) == 0:
            continue  # dropped
        if name not in used and draw(st.integers(0, 3)) == 0:
            b.enums[name] = tuple(reversed(labels)) + ("z",)  # reordered: lossy, only where nothing uses it
        else:
            b.enums[name] = labels + tuple("efg"[: draw(st.integers(0, 2))])
    for name, d in a.domains.items():
        if draw(st.integers(0, 4)) == 0:
            continue
        checks, defaults, _ = DOMAIN_BASES[d.base]
        base = d.base
        if name not in used and d.base == "integer" and draw(st.integers(0, 3)) == 0:
            base = "bigint"  # lossy (DROP DOMAIN; CREATE DOMAIN), only where nothing uses it
        default = draw(st.sampled_from([d.default, None, *defaults]))
        not_null = default is not None and draw(st.booleans())
        b.domains[name] = Domain(base, default, not_null,
                                 tuple(draw(st.lists(st.sampled_from(sorted(checks)), max_size=3, unique=True))),
                                 draw(st.sampled_from([d.comment, None, "changed"])))
    for name, attrs in a.composites.items():
        if draw(st.integers(0, 4)) == 0:
            continue
        kinds = sorted(ATTRIBUTE_TYPES) + sorted(b.enums)
        new = [(n, t) for n, t in attrs if t not in a.enums or t in b.enums]
        if len(new) > 1 and draw(st.integers(0, 3)) == 0:
            del new[draw(st.integers(0, len(new) - 1))]  # attribute dropped
        if new and draw(st.integers(0, 3)) == 0:
            i = draw(st.integers(0, len(new) - 1))
            new[i] = (new[i][0], draw(st.sampled_from(kinds)))  # retyped
        for extra in _names(draw, draw(st.integers(0, 2)), {n for n, _ in attrs}):
            new.insert(draw(st.integers(0, len(new))), (extra, draw(st.sampled_from(kinds))))  # anywhere
        b.composites[name] = tuple(new) or ((_names(draw, 1, {n for n, _ in attrs})[0], "integer"),)
    for name, subtype in a.ranges.items():
        if draw(st.integers(0, 4)) == 0:
            continue
        b.ranges[name] = draw(st.sampled_from(sorted(RANGE_SUBTYPES))) if name not in used else subtype
    # new types
    for name in _names(draw, draw(st.integers(0, 1)), taken):
        b.enums[name] = ("n", "o")
    for name in _names(draw, draw(st.integers(0, 1)), taken):
        if b.enums and draw(st.booleans()):
            b.domains[name] = Domain(draw(st.sampled_from(sorted(b.enums))), None, False, (), None)  # over an enum
        else:
            b.domains[name] = Domain("text", None, False, ("short",), None)
    for name in _names(draw, draw(st.integers(0, 1)), taken):
        kinds = sorted(ATTRIBUTE_TYPES) + sorted(b.enums) + sorted(b.domains)
        attrs = _names(draw, draw(st.integers(1, 3)), set())
        b.composites[name] = tuple((a, draw(st.sampled_from(kinds))) for a in attrs)
    for name in _names(draw, draw(st.integers(0, 1)), taken):
        b.ranges[name] = draw(st.sampled_from(sorted(RANGE_SUBTYPES)))

    # tables: a column whose type B drops is dropped or becomes text
    dropped = {name for name in a.tables if draw(st.integers(0, 4)) == 0}
    if dropped == set(a.tables):
        dropped.discard(next(iter(a.tables)))
    for name, cols in a.tables.items():
        if name in dropped:
            continue
        new = []
        for c, t in cols:
            if t in a.user_types() and t not in b.user_types():
                if draw(st.booleans()):
                    new.append((c, "text"))
                continue
            if draw(st.integers(0, 5)) == 0:
                continue  # dropped
            new.append((c, t))
        # B's new columns: nullable-without-default NOT NULL domains would fail on the row
        addable = Model(b.enums, {k: v for k, v in b.domains.items() if not v.not_null or v.default is not None},
                        b.composites, b.ranges, {}, {}, {})
        new += _table_columns(draw, addable, {c for c, _ in cols}, 0, 2)
        b.tables[name] = tuple(new)
    for name in _names(draw, draw(st.integers(0, 1)), taken):
        b.tables[name] = tuple(_table_columns(draw, b, taken, 1, 2))
    for (table, column), seq in a.defaults.items():
        if table in b.tables and (column, "integer") in b.tables[table] and draw(st.integers(0, 3)):
            b.defaults[(table, column)] = seq
    for name, s in a.sequences.items():
        keep_needed = name in b.defaults.values()
        if not keep_needed and draw(st.integers(0, 3)) == 0:
            continue  # dropped
        owner = draw(st.sampled_from([s.owner, None, *sorted(b.tables)]))
        b.sequences[name] = Sequence(draw(st.sampled_from([s.increment, 3])),
                                     draw(st.sampled_from([s.maxvalue, None, 5000])), draw(st.booleans()),
                                     owner if owner in b.tables else None,
                                     draw(st.sampled_from([s.comment, None, "changed"])))
    for name in _names(draw, draw(st.integers(0, 1)), taken):
        b.sequences[name] = Sequence(1, None, False, draw(st.none() | st.sampled_from(sorted(b.tables))), None)
    return b


def rows(conn: psycopg.Connection, a: Model, b: Model) -> dict[str, list[tuple[object, ...]]]:
    """The row of every table B keeps, in every column B keeps with the same type, as text."""
    out = {}
    for name, cols in b.tables.items():
        if name in a.tables:
            same = [c for c, t in cols
                    if (c, t) in a.tables[name] and a.signature(t) == b.signature(t)]
            sel = ", ".join(["id::text"] + [f"{quote_ident(c)}::text" for c in same])
            out[name] = conn.execute(f"SELECT {sel} FROM {q(name)}").fetchall()
    return out


def level4_sequence_owner_bug(conn: psycopg.Connection, a: Model, b: Model) -> bool:
    """Whether generate_migration(A, B) hits level 4's known bug (level 4 is released and keeps it).

    The bug: a sequence that B drops goes along with its owner table (DROP TABLE, phase
    50) while another table's column default still uses it: that default is dropped
    with the column steps (phase 140) of a table B keeps, or by the DROP TABLE of a
    table that sorts after the owner's. PostgreSQL refuses the DROP TABLE (2BP01).
    Level 5 drops such defaults first (test_a_default_stops_using_a_sequence_before_the_sequence_goes).
    """
    for seq, s in a.sequences.items():
        if seq in b.sequences or s.owner is None or s.owner in b.tables:
            continue
        for (table, column), used in a.defaults.items():
            if used != seq or table == s.owner:
                continue
            if table in b.tables:
                if any(c == column for c, _ in b.tables[table]):  # kept column: its default goes at phase 140
                    return True
            elif conn.execute('SELECT quote_ident(%s) COLLATE "C" < quote_ident(%s) COLLATE "C"',
                              (s.owner, table)).fetchone()[0]:  # both dropped, the owner first
                return True
    return False


@reuse_db
@given(data=st.data())
def test_round_trip_oracle_types(pggit_conn: psycopg.Connection, pggit_level: int, data: st.DataObject) -> None:
    conn = pggit_conn
    if pggit_level == 4 and conn.execute("SELECT current_setting('server_version_num')::int >= 170000").fetchone()[0]:
        pytest.skip("level 4 (released, never changed) reads the NOT NULL constraint rows of 17+'s domains (and "
                    "18's columns) as constraints: generate_migration writes CREATE DOMAIN .. NOT NULL CONSTRAINT "
                    "<d>_not_null NOT NULL (42P17 'redundant NOT NULL constraint definition'); level 5 leaves them "
                    "out, and this oracle runs at 5 and later")
    a = data.draw(schemas(), label="A")
    b = data.draw(mutations(a), label="B")
    if pggit_level == 4:
        # level 4 (released) keeps the bug of a sequence dropped with its owner table before
        # another table's default stops using it (2BP01): those cases are skipped there only
        assume(not level4_sequence_owner_bug(conn, a, b))
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL pggit.strict = on")
        a.build(conn)
        ca = commit(conn)
        conn.execute(f"DROP SCHEMA {S} CASCADE")
        b.build(conn)
        want = catalog.fingerprint(conn, [S])
        steps = migration(conn, ca, "WORKING")
        cb = commit(conn)
        assert migration(conn, ca, cb) == steps, "commit to commit gives the script of commit to WORKING"
        for _, statement, warning in steps:
            assert statement.startswith("-- ") <= (warning is not None)
            assert "not generated" not in statement, statement
        conn.execute(f"DROP SCHEMA {S} CASCADE")
        a.build(conn)
        a.fill(conn)
        before = rows(conn, a, b)
        apply(conn, steps)
        assert catalog.diff(want, catalog.fingerprint(conn, [S])) == []
        assert rows(conn, a, b) == before
        assert migration(conn, cb, "WORKING") == []


# --------------------------------------------------------------------------- exact cases


OWNER_STEP = re.compile(r"^(ALTER (TABLE|VIEW|MATERIALIZED VIEW|SEQUENCE|FUNCTION|PROCEDURE|TYPE|DOMAIN|SCHEMA) "
                        r"(?P<ident>.+) OWNER TO \S+|REVOKE ALL ON \w+ (?P<ident2>.+) FROM \S+"
                        r"|GRANT [A-Z, ]+ ON \w+ (?P<ident3>.+) TO \S+( WITH GRANT OPTION)?);$")


def without_owner_steps(steps: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The steps without level 5's owner and grant steps, each checked to come after its object's CREATE.

    Level 5 gives every object the script creates its recorded owner (and a non-default
    ACL) back right after its CREATE (tests/security/test_owners.py); the type steps are
    compared here without them.
    """
    out: list[tuple[str, str | None]] = []
    for statement, warning in steps:
        m = OWNER_STEP.match(statement)
        if m:
            ident = m.group("ident") or m.group("ident2") or m.group("ident3")
            assert warning is None and any("CREATE " in s and ident in s for s, _ in out), (statement, out)
            continue
        out.append((statement, warning))
    return out


def _steps_between(conn: psycopg.Connection, before: list[str], after: list[str]) -> tuple[str, list]:
    """Runs `before`, commits, runs `after`; the steps from that commit to WORKING (owner steps checked, left out)."""
    for s in before:
        conn.execute(s)
    ca = commit(conn)
    for s in after:
        conn.execute(s)
    return ca, without_owner_steps([(st_, w) for _, st_, w in migration(conn, ca, "WORKING")])


def test_composite_type_changes(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    ca, steps = _steps_between(conn, [
        "CREATE SCHEMA app",
        "CREATE TYPE app.used AS (a int, b text, gone int)",
        "CREATE TYPE app.free AS (a int, b text)",
        "CREATE TABLE app.t (id int PRIMARY KEY, u app.used)",
        "INSERT INTO app.t VALUES (1, ROW(1, 'x', 9))",
    ], [
        "ALTER TYPE app.used DROP ATTRIBUTE gone",
        "ALTER TYPE app.used DROP ATTRIBUTE b",
        "ALTER TYPE app.used ADD ATTRIBUTE b varchar(5)",  # retyped while app.t uses the type
        "ALTER TYPE app.used ADD ATTRIBUTE c date",
        "ALTER TYPE app.free ALTER ATTRIBUTE a TYPE bigint",  # nothing uses it: in place
        "COMMENT ON COLUMN app.free.b IS 'bee'",
    ])
    assert steps == [
        ("ALTER TYPE app.free ALTER ATTRIBUTE a TYPE bigint;", None),
        ("COMMENT ON COLUMN app.free.b IS 'bee';", None),
        ("-- ALTER TYPE app.used DROP ATTRIBUTE b;",
         "attribute b of type app.used is dropped and added again (to keep the order of the attributes or to change "
         "its type): its values in columns of that type are lost"),
        ("-- ALTER TYPE app.used DROP ATTRIBUTE gone;",
         "attribute gone of type app.used is dropped: its values in columns of that type are lost"),
        ("ALTER TYPE app.used ADD ATTRIBUTE b character varying(5);", None),
        ("ALTER TYPE app.used ADD ATTRIBUTE c date;", None),
    ]
    want = catalog.fingerprint(conn, ["app"])
    # back at A: the script gives B, the row keeps attribute a
    conn.execute("DROP SCHEMA app CASCADE")
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TYPE app.used AS (a int, b text, gone int)")
    conn.execute("CREATE TYPE app.free AS (a int, b text)")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, u app.used)")
    conn.execute("INSERT INTO app.t VALUES (1, ROW(1, 'x', 9))")
    apply(conn, [(0, s, w) for s, w in steps])
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []
    assert conn.execute("SELECT (u).a, (u).b, (u).c FROM app.t").fetchone() == (1, None, None)


def test_lossy_type_changes_are_commented_with_a_warning(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    ca, steps = _steps_between(conn, [
        "CREATE SCHEMA app",
        "CREATE DOMAIN app.d AS int DEFAULT 1 CONSTRAINT d_pos CHECK (VALUE > 0)",
        "CREATE TYPE app.r AS RANGE (SUBTYPE = float8)",
        "CREATE TYPE app.e AS ENUM ('a', 'b')",
        "CREATE SEQUENCE app.s",
    ], [
        "DROP DOMAIN app.d",
        "CREATE DOMAIN app.d AS bigint DEFAULT 1 CONSTRAINT d_pos CHECK (VALUE > 0)",
        "DROP TYPE app.r",
        "CREATE TYPE app.r AS RANGE (SUBTYPE = numeric)",
        "DROP TYPE app.e",
        "CREATE TYPE app.e AS ENUM ('b', 'a')",
        "DROP SEQUENCE app.s",
    ])
    assert steps == [
        ("-- DROP DOMAIN app.d; CREATE DOMAIN app.d AS bigint DEFAULT 1 CONSTRAINT d_pos CHECK ((VALUE > 0));",
         "domain app.d changes its base type from integer to bigint: it is dropped and created again; columns of "
         "that type must be converted first"),
        ("-- DROP TYPE app.e; CREATE TYPE app.e AS ENUM ('b', 'a');",
         "enum app.e loses or reorders labels: values of its columns may be lost"),
        ("-- DROP TYPE app.r; CREATE TYPE app.r AS RANGE (SUBTYPE = numeric, SUBTYPE_OPCLASS = pg_catalog.numeric_ops, "
         "MULTIRANGE_TYPE_NAME = app.r_multirange);",
         "range type app.r changes (RANGE SUBTYPE double precision SUBTYPE_OPCLASS pg_catalog.float8_ops "
         "MULTIRANGE_TYPE_NAME app.r_multirange to RANGE SUBTYPE numeric SUBTYPE_OPCLASS "
         "pg_catalog.numeric_ops MULTIRANGE_TYPE_NAME app.r_multirange): it is dropped and created again; columns "
         "of that type lose their values"),
        ("-- DROP SEQUENCE IF EXISTS app.s;", "sequence app.s is dropped: its current value is lost"),
    ]
    # apply_migration: data loss is refused without force, run with it
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as exc:
        conn.execute("SELECT pggit.apply_migration(%s, false)", (ca,))
    # (back from B to A: the three type changes are lossy again, the sequence is created)
    assert "loses data in 3 step(s)" in str(exc.value)
    assert conn.execute("SELECT count(*) FROM unnest(pggit.apply_migration(%s, true)) AS s"
                        " WHERE s !~ ' OWNER TO '", (ca,)).fetchone() == (4,)
    assert migration(conn, ca, "WORKING") == []


def test_domain_changes_by_name(pggit_conn: psycopg.Connection, pggit_level: int) -> None:
    conn = pggit_conn
    major = int(conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()[0])
    ca, steps = _steps_between(conn, [
        "CREATE SCHEMA app",
        "CREATE DOMAIN app.d AS text COLLATE \"C\" CONSTRAINT d_short CHECK (length(VALUE) < 9)",
        "COMMENT ON DOMAIN app.d IS 'dee'",
        "CREATE TABLE app.t (id int PRIMARY KEY, v app.d)",
        "INSERT INTO app.t VALUES (1, 'abc')",
    ], [
        "ALTER DOMAIN app.d DROP CONSTRAINT d_short",
        "ALTER DOMAIN app.d ADD CONSTRAINT d_shorter CHECK (length(VALUE) < 5)",
        "ALTER DOMAIN app.d ADD CONSTRAINT \"Not Empty\" CHECK (VALUE <> '')",
        "COMMENT ON CONSTRAINT \"Not Empty\" ON DOMAIN app.d IS 'ne'",
        "ALTER DOMAIN app.d SET DEFAULT 'q'",
        "ALTER DOMAIN app.d SET NOT NULL",
        "COMMENT ON DOMAIN app.d IS NULL",
        "CREATE DOMAIN app.d2 AS app.d CONSTRAINT d2_x CHECK (VALUE <> 'x')",
        "ALTER TABLE app.t ADD COLUMN w app.d2",
    ])
    assert steps == [
        ("ALTER DOMAIN app.d DROP CONSTRAINT d_short;", None),
        ("ALTER DOMAIN app.d SET DEFAULT 'q'::text;", None),
        ("ALTER DOMAIN app.d SET NOT NULL;", None),
        ("ALTER DOMAIN app.d ADD CONSTRAINT \"Not Empty\" CHECK ((VALUE <> ''::text));", None),
        ("COMMENT ON CONSTRAINT \"Not Empty\" ON DOMAIN app.d IS 'ne';", None),
        # level 4 (released, unchangeable) reads 17+'s NOT NULL constraint row of a domain as
        # one more constraint (level 5 leaves it out: typnotnull says it on every major)
        *([("ALTER DOMAIN app.d ADD CONSTRAINT d_not_null NOT NULL;", None)]
          if pggit_level == 4 and major >= 17 else []),
        ("ALTER DOMAIN app.d ADD CONSTRAINT d_shorter CHECK ((length(VALUE) < 5));", None),
        ("COMMENT ON DOMAIN app.d IS NULL;", None),
        ("CREATE DOMAIN app.d2 AS app.d DEFAULT 'q'::text CONSTRAINT d2_x CHECK (((VALUE)::text <> 'x'::text));",
         None),
        ("ALTER TABLE app.t ADD COLUMN w app.d2;", None),
    ]
    # a commit-to-commit script names the constraints too (recorded details)
    cb = commit(conn)
    assert without_owner_steps([(s, w) for _, s, w in migration(conn, ca, cb)]) == steps
    # without recorded details of the old state: a note with a warning, refused by apply_migration
    conn.execute("DELETE FROM pggit.object_details WHERE identity = 'app.d' AND blob_hash = "
                 "(SELECT blob_hash FROM pggit.schema_at(%s) WHERE object_identity = 'app.d')", (ca,))
    notes = [(s, w) for _, s, w in migration(conn, ca, cb) if w is not None]
    assert notes == [("-- domain app.d: constraint changes not generated",
                      f"domain app.d at {ca} has no recorded details (names of its constraints): it was committed "
                      "before level 4")]


def test_sequences(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    ca, steps = _steps_between(conn, [
        "CREATE SCHEMA app",
        "CREATE TABLE app.t (id int PRIMARY KEY)",
        "CREATE TABLE app.u (id int PRIMARY KEY)",
        "CREATE SEQUENCE app.keep OWNED BY app.t.id",
        "CREATE SEQUENCE app.moved OWNED BY app.u.id",
        "CREATE UNLOGGED SEQUENCE app.opts",
        "CREATE SEQUENCE app.gone",
        "CREATE TABLE app.v (id int PRIMARY KEY, n bigint DEFAULT nextval('app.gone'))",
        "INSERT INTO app.v VALUES (1, 5)",
    ], [
        "ALTER SEQUENCE app.keep OWNED BY NONE",
        "DROP TABLE app.t",
        "ALTER SEQUENCE app.moved OWNED BY app.v.id",
        "ALTER SEQUENCE app.opts AS integer INCREMENT 3 MINVALUE -10 MAXVALUE 100 START 2 CACHE 2 CYCLE",
        "ALTER SEQUENCE app.opts SET LOGGED",
        "COMMENT ON SEQUENCE app.opts IS 'o'",
        "ALTER TABLE app.v ALTER COLUMN n DROP DEFAULT",
        "DROP SEQUENCE app.gone",
        "CREATE SEQUENCE app.new INCREMENT 7 OWNED BY app.u.id",
    ])
    assert steps == [
        ("ALTER SEQUENCE app.keep OWNED BY NONE;", None),
        ("ALTER SEQUENCE app.moved OWNED BY NONE;", None),
        ("-- DROP TABLE app.t;", "table app.t is dropped with its rows"),
        ("CREATE SEQUENCE app.new AS bigint START 1 INCREMENT 7 MINVALUE 1 MAXVALUE 9223372036854775807 CACHE 1;",
         None),
        ("ALTER SEQUENCE app.opts AS integer START 2 INCREMENT 3 MINVALUE -10 MAXVALUE 100 CACHE 2 CYCLE;", None),
        ("ALTER SEQUENCE app.opts SET LOGGED;", None),
        ("COMMENT ON SEQUENCE app.opts IS 'o';", None),
        ("ALTER TABLE app.v ALTER COLUMN n DROP DEFAULT;", None),
        ("-- DROP SEQUENCE IF EXISTS app.gone;", "sequence app.gone is dropped: its current value is lost"),
        ("ALTER SEQUENCE app.moved OWNED BY app.v.id;", None),
        ("ALTER SEQUENCE app.new OWNED BY app.u.id;", None),
    ]
    # the order matters: app.keep loses its owner before app.t goes (DROP TABLE would
    # take it along), app.gone goes after the default that uses it
    want = catalog.fingerprint(conn, ["app"])
    cb = commit(conn)
    conn.execute("SELECT pggit.apply_migration(%s, true)", (ca,))
    assert migration(conn, ca, "WORKING") == []
    conn.execute("INSERT INTO app.t VALUES (1)")
    conn.execute("SELECT pggit.apply_migration(%s, true)", (cb,))
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []


def test_sequence_owned_by_a_column_whose_names_hold_newlines_and_quotes(pggit_conn: psycopg.Connection) -> None:
    """The owner is read from the definition as an identity, not up to the end of a line (found by the oracle)."""
    conn = pggit_conn
    ca, steps = _steps_between(conn, ["CREATE SCHEMA app"], [
        'CREATE TABLE app."0\n" ("a""\nb" int)',
        'CREATE SEQUENCE app.s OWNED BY app."0\n"."a""\nb"',
    ])
    assert steps[-1] == ('ALTER SEQUENCE app.s OWNED BY app."0\n"."a""\nb";', None)
    want = catalog.fingerprint(conn, ["app"])
    cb = commit(conn)
    conn.execute("SELECT pggit.apply_migration(%s, true)", (ca,))
    conn.execute("SELECT pggit.apply_migration(%s, true)", (cb,))
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []


def test_domain_over_a_type_whose_name_holds_a_newline(pggit_conn: psycopg.Connection) -> None:
    """A domain's first line is read up to a newline outside quoted names and literals (found by the oracle)."""
    conn = pggit_conn
    ca, steps = _steps_between(conn, ["CREATE SCHEMA app"], [
        "CREATE TYPE app.\"0\n\" AS ENUM ('n', 'o')",
        "CREATE DOMAIN app.d AS app.\"0\n\" DEFAULT 'n' CONSTRAINT d_o CHECK (VALUE <> 'o')",
    ])
    enum = 'app."0\n"'
    assert (f"CREATE DOMAIN app.d AS {enum} DEFAULT 'n'::{enum} CONSTRAINT d_o CHECK ((VALUE <> 'o'::{enum}));",
            None) in steps
    want = catalog.fingerprint(conn, ["app"])
    cb = commit(conn)
    conn.execute("SELECT pggit.apply_migration(%s, true)", (ca,))
    conn.execute("SELECT pggit.apply_migration(%s, true)", (cb,))
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []


def test_type_dependency_order(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    ca, steps = _steps_between(conn, [
        "CREATE SCHEMA app",
        "CREATE TYPE app.old_e AS ENUM ('x')",
        "CREATE DOMAIN app.old_d AS app.old_e",
        "CREATE TABLE app.t (id int PRIMARY KEY, v app.old_d)",
        "INSERT INTO app.t VALUES (1, 'x')",
    ], [
        "ALTER TABLE app.t ALTER COLUMN v TYPE text",
        "DROP DOMAIN app.old_d",
        "DROP TYPE app.old_e",
        # created in an order the names' sort would get wrong
        "CREATE TYPE app.z_e AS ENUM ('p')",
        "CREATE DOMAIN app.y_d AS app.z_e",
        "CREATE TYPE app.w_r AS RANGE (SUBTYPE = int8)",
        "CREATE TYPE app.x_c AS (d app.y_d, r app.w_r)",
        "CREATE DOMAIN app.a_d AS app.x_c[]",
        "ALTER TABLE app.t ADD COLUMN c app.a_d",
    ])
    stmts = [s for s, _ in steps]

    def at(text: str) -> int:
        return next(i for i, s in enumerate(stmts) if text in s)

    # a type after the types it names, every type before the column that uses it; the
    # old types go after the column that used them changed, the domain before its enum
    assert at("TYPE app.z_e") < at("DOMAIN app.y_d") < at("TYPE app.x_c") < at("DOMAIN app.a_d") < at("COLUMN c")
    assert at("TYPE app.w_r") < at("TYPE app.x_c")
    assert at("COLUMN v TYPE text") < at("DROP DOMAIN app.old_d") < at("DROP TYPE app.old_e")
    want = catalog.fingerprint(conn, ["app"])
    conn.execute("SELECT pggit.apply_migration(%s, true)", (ca,))
    assert conn.execute("SELECT v::text FROM app.t").fetchone() == ("x",)
    cb_steps = [(0, s, w) for s, w in steps]
    apply(conn, cb_steps)
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []
    assert conn.execute("SELECT v FROM app.t").fetchone() == ("x",)


def test_type_steps_errors(pggit_conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        pggit_conn.execute("SELECT * FROM pggit.type_steps(NULL, 'WORKING', 'WORKING')")
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        pggit_conn.execute("SELECT * FROM pggit.type_steps('{}', 'WORKING', 'WORKING')")


def test_early_drops_when_a_name_is_taken_again_or_the_schema_goes(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    ca, steps = _steps_between(conn, [
        "CREATE SCHEMA app",
        "CREATE TYPE app.x AS (a int)",
        "CREATE SCHEMA app2",
        "CREATE TYPE app2.e AS ENUM ('a')",
        "CREATE SEQUENCE app2.s",
    ], [
        "DROP SCHEMA app2 CASCADE",
        "DROP TYPE app.x",
        "CREATE DOMAIN app.x AS int",  # another kind of type under the same name
    ])
    assert steps == [
        ("-- DROP SEQUENCE IF EXISTS app2.s;", "sequence app2.s is dropped: its current value is lost"),
        ("DROP TYPE app.x;", None),
        ("DROP TYPE app2.e;", None),
        ("DROP SCHEMA app2;", None),
        ("CREATE DOMAIN app.x AS integer;", None),
    ]
    want = catalog.fingerprint(conn, ["app", "app2"])
    conn.execute("SELECT pggit.apply_migration(%s, true)", (ca,))
    apply(conn, [(0, s, w) for s, w in steps])
    assert catalog.diff(want, catalog.fingerprint(conn, ["app", "app2"])) == []


def test_renamed_range_renames_its_multirange(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    ca, steps = _steps_between(conn, [
        "CREATE SCHEMA app",
        "CREATE SCHEMA s9",
        "CREATE TYPE app.r AS RANGE (SUBTYPE = int8)",
        "CREATE TYPE s9.q AS RANGE (SUBTYPE = int4)",
    ], [
        "ALTER TYPE app.r RENAME TO r2",
        "ALTER TYPE app.r_multirange RENAME TO r2_multirange",
        "COMMENT ON TYPE app.r2 IS 'two'",  # tracked again: its definition names the new multirange
        "ALTER SCHEMA s9 RENAME TO s8",
        "ALTER TYPE s8.q SET SCHEMA app",
        "ALTER TYPE s8.q_multirange SET SCHEMA app",
        "COMMENT ON TYPE app.q IS 'q'",
    ])
    assert steps == [
        ("ALTER SCHEMA s9 RENAME TO s8;", None),
        ("ALTER TYPE app.r RENAME TO r2;", None),
        ("ALTER TYPE s8.q SET SCHEMA app;", None),
        ("ALTER TYPE s8.q_multirange SET SCHEMA app;", None),
        ("COMMENT ON TYPE app.q IS 'q';", None),
        ("ALTER TYPE app.r_multirange RENAME TO r2_multirange;", None),
        ("COMMENT ON TYPE app.r2 IS 'two';", None),
    ]
    want = catalog.fingerprint(conn, ["app", "s8"])
    conn.execute("SELECT pggit.apply_migration(%s, false)", (ca,))
    apply(conn, [(0, s, w) for s, w in steps])
    assert catalog.diff(want, catalog.fingerprint(conn, ["app", "s8"])) == []


# A sequence goes before the column steps (DROP TABLE / DROP COLUMN of its owner takes it
# along; or it goes with the other drops because a relation takes its name) while another
# column's default used it: that default must be gone first, else PostgreSQL refuses the
# drop (2BP01 "cannot drop table ... because other objects depend on it").
# case: (changes after the setup, whether app.s is still there)
SEQUENCE_GONE_CASES = {
    # the sequence goes with its owner table; a kept column's default is dropped or changed
    "table, sequence goes, default dropped": (
        ["ALTER TABLE app.u ALTER COLUMN n DROP DEFAULT", "DROP TABLE app.t"], False),
    "table, sequence goes, default changed": (
        ["ALTER TABLE app.u ALTER COLUMN n SET DEFAULT nextval('app.other')", "DROP TABLE app.t"], False),
    "table, sequence goes, default changed to a constant": (
        ["ALTER TABLE app.u ALTER COLUMN n SET DEFAULT 5", "DROP TABLE app.t"], False),
    # both tables go: app.t sorts first, and app.u's drop must not come too late
    "table, sequence goes, the user's table goes too": (["DROP TABLE app.u", "DROP TABLE app.t"], False),
    # the sequence stays (unowned: OWNED BY NONE comes first) and the kept default stops using it
    "table, sequence stays, default dropped": (
        ["ALTER SEQUENCE app.s OWNED BY NONE", "ALTER TABLE app.u ALTER COLUMN n DROP DEFAULT", "DROP TABLE app.t"],
        True),
    # the owner is a column of a kept table: DROP COLUMN takes the sequence along too
    "column, sequence goes, defaults dropped": (
        ["ALTER TABLE app.u ALTER COLUMN n DROP DEFAULT", "ALTER TABLE app.t ALTER COLUMN m DROP DEFAULT",
         "ALTER TABLE app.t DROP COLUMN c"], False),
    "column, sequence goes, the user's column goes, a default of the owner's table changed": (
        ["ALTER TABLE app.t ALTER COLUMN m SET DEFAULT nextval('app.other')", "ALTER TABLE app.u DROP COLUMN n",
         "ALTER TABLE app.t DROP COLUMN c"], False),
    # the owner stays, the sequence goes with the other drops: a table takes its name
    "sequence goes, a table takes its name": (
        ["ALTER TABLE app.u ALTER COLUMN n DROP DEFAULT", "ALTER TABLE app.t ALTER COLUMN m DROP DEFAULT",
         "DROP SEQUENCE app.s", "CREATE TABLE app.s (id int)"], False),
}


@pytest.mark.pggit_level(min=5)
@pytest.mark.parametrize("case", sorted(SEQUENCE_GONE_CASES))
def test_a_default_stops_using_a_sequence_before_the_sequence_goes(pggit_conn: psycopg.Connection,
                                                                   case: str) -> None:
    """Found by the types oracle: DROP TABLE of a sequence's owner came before another table's DROP DEFAULT.

    Level 4 keeps the bug (released); its oracle skips exactly those cases.
    """
    conn = pggit_conn
    change, keeps_sequence = SEQUENCE_GONE_CASES[case]
    ca, steps = _steps_between(conn, [
        "CREATE SCHEMA app",
        "CREATE SEQUENCE app.other",
        "CREATE TABLE app.t (id int PRIMARY KEY, c int, m int)",
        "CREATE SEQUENCE app.s OWNED BY app.t.c",
        "ALTER TABLE app.t ALTER COLUMN m SET DEFAULT nextval('app.s')",
        "CREATE TABLE app.u (id int PRIMARY KEY, n int DEFAULT nextval('app.s'))",
    ], change)
    assert conn.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass('app.s')").fetchone() == (
        ("S",) if keeps_sequence else (None if "takes its name" not in case else ("r",)))
    want = catalog.fingerprint(conn, ["app"])
    stmts = [s for s, _ in steps]
    if not keeps_sequence:
        # the first step that takes app.s away comes after every DROP DEFAULT of a default using it
        gone = min(i for i, s in enumerate(stmts)
                   if s in ("-- DROP TABLE app.t;", "-- ALTER TABLE app.t DROP COLUMN c;",
                            "-- DROP SEQUENCE IF EXISTS app.s;"))
        stop = [i for i, s in enumerate(stmts)
                if re.fullmatch(r"ALTER TABLE app\.[tu] ALTER COLUMN [mn] DROP DEFAULT;", s)]
        assert stop and max(stop) < gone, stmts
    conn.execute("SELECT pggit.apply_migration(%s, true)", (ca,))
    conn.execute("INSERT INTO app.t VALUES (1, 2, 3)")
    conn.execute("INSERT INTO app.u VALUES (1, 4)")
    apply(conn, [(0, s, w) for s, w in steps])
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []
    if "DROP TABLE app.u" not in change:
        assert conn.execute("SELECT to_jsonb(u) FROM app.u AS u").fetchone()[0] == (
            {"id": 1} if "ALTER TABLE app.u DROP COLUMN n" in change else {"id": 1, "n": 4})
