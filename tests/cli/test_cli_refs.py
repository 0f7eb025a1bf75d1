"""``pggit-sql log --graph``, ``diff``, ``show`` and ``script`` (old name ``migration``) (level 4).

The graph layout (:mod:`pggit_sql.graph`) and the text renderers (:mod:`pggit_sql.render`)
are tested without a database on hand-built DAGs and rows; the commands run in-process
(the ``run`` fixture) against fresh level-4 databases, with real DDL committed through
``pggit.commit_changes`` and merge commits written straight into ``pggit.commits`` (no
level-4 function makes them yet).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pggit_sql.graph import Node, layout, render, topo_order
from pggit_sql.refs import Change, Step
from pggit_sql.render import diff_text, schema_script

Run = Callable[..., tuple[int, str, str]]  # the `run` fixture of tests/cli/conftest.py
db = pytest.mark.pggit_level(min=4)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def graph(nodes: list[Node]) -> list[str]:
    return render(layout(nodes), lambda n: n.id)


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pggit-sql: error: "), err
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------- layout, no database


def test_layout_linear() -> None:
    rows = layout([Node("c", ("b",)), Node("b", ("a",)), Node("a")])
    assert [(r.graph, r.node.id if r.node else None, r.lane) for r in rows] == [
        ("*", "c", 0), ("*", "b", 0), ("*", "a", 0)]


def test_layout_branch_joins_above_the_fork() -> None:
    assert graph([Node("x1", ("a",)), Node("m1", ("a",)), Node("a")]) == [
        "*  x1",
        "| *  m1",
        "|/",
        "*  a",
    ]


def test_layout_merge_follows_both_parents() -> None:
    assert graph([Node("m", ("b", "x")), Node("x", ("a",)), Node("b", ("a",)), Node("a")]) == [
        "*  m",
        "|\\",
        "| *  x",
        "* |  b",
        "|/",
        "*  a",
    ]


def test_layout_merge_with_a_lane_to_its_right_pushes_it_right() -> None:
    rows = graph([Node("h", ("m",)), Node("o", ("r",)), Node("m", ("b", "x")), Node("x", ("r",)),
                  Node("b", ("r",)), Node("r")])
    assert rows == [
        "*  h",
        "| *  o",
        "* |  m",
        "|\\ \\",
        "| * |  x",
        "* | |  b",
        "|/ /",
        "|/",  # the lane of o moves one column per row
        "*  r",
    ]


def test_layout_criss_cross() -> None:
    nodes = [Node("a2", ("a1", "b1")), Node("b2", ("b1", "a1")), Node("b1", ("r",)), Node("a1", ("r",)), Node("r")]
    rows = layout(nodes)
    assert [(r.node.id, r.lane) for r in rows if r.node] == [("a2", 0), ("b2", 2), ("b1", 1), ("a1", 0), ("r", 0)]
    assert graph(nodes) == [
        "*  a2",
        "|\\",
        "| | *  b2",
        "| | |\\",
        "| |/ /",  # b2's first parent joins b1's lane
        "| * |  b1",
        "| |/",  # b2's merge parent a1 crosses over to a2's lane, one column per row
        "|/|",
        "* |  a1",
        "|/",
        "*  r",
    ]


def test_layout_history_cut_short_keeps_lanes_open() -> None:
    assert graph([Node("m", ("b", "x")), Node("b", ("a",))]) == ["*  m", "|\\", "* |  b"]


def test_layout_unrelated_roots_and_refusals() -> None:
    assert graph([Node("b"), Node("a")]) == ["*  b", "*  a"]
    with pytest.raises(ValueError, match="comes after its parent"):
        layout([Node("a"), Node("b", ("a",))])
    with pytest.raises(ValueError, match="appears twice"):
        layout([Node("a"), Node("a")])


def test_topo_order_keeps_a_line_of_history_together() -> None:
    """main a-b-c-d and x a-x1-x2-x3 merged by m: main's line first, then x's, as git --topo-order."""
    gens = {"a": 1, "b": 2, "x1": 2, "c": 3, "x2": 3, "d": 4, "x3": 4, "m": 5}
    nodes = [Node("a"), Node("b", ("a",)), Node("x1", ("a",)), Node("c", ("b",)), Node("x2", ("x1",)),
             Node("d", ("c",)), Node("x3", ("x2",)), Node("m", ("d", "x3"))]
    order = [n.id for n in topo_order(nodes, key=lambda n: (gens[n.id], n.id))]
    assert order == ["m", "d", "c", "b", "x3", "x2", "x1", "a"]
    assert graph(topo_order(nodes, key=lambda n: (gens[n.id], n.id))) == [
        "*  m", "|\\", "* |  d", "* |  c", "* |  b", "| *  x3", "| *  x2", "| *  x1", "|/", "*  a"]
    with pytest.raises(ValueError, match="cycle"):
        topo_order([Node("p", ("q",)), Node("q", ("p",))])


@st.composite
def dags(draw: st.DrawFn) -> list[Node]:
    """Random DAGs, newest first: node i has parents among the older nodes (at most two)."""
    n = draw(st.integers(1, 14))
    nodes: list[Node] = []
    for i in range(n):
        older = [f"c{j}" for j in range(i)]
        parents = draw(st.lists(st.sampled_from(older), max_size=2, unique=True)) if older else []
        nodes.append(Node(f"c{i}", tuple(parents)))
    return list(reversed(nodes))


@given(dags(), st.randoms())
def test_layout_laws_on_random_dags(nodes: list[Node], rnd: random.Random) -> None:
    shuffled = list(nodes)
    rnd.shuffle(shuffled)
    ordered = topo_order(shuffled)
    assert sorted(n.id for n in ordered) == sorted(n.id for n in nodes)
    layout(ordered)  # children before parents: never raises
    rows = layout(nodes)
    assert [r.node for r in rows if r.node] == nodes  # one commit row per node, in order
    for r in rows:
        assert set(r.graph) <= set("*|/\\ ") and r.graph == r.graph.rstrip()
        if r.node:
            assert r.lane is not None and r.graph.index("*") == 2 * r.lane and r.graph.count("*") == 1
        else:
            assert "*" not in r.graph and r.graph


# --------------------------------------------------------------------------- renderers, no database


CHANGES = [
    Change("s.t", "table", "modified", "CREATE TABLE s.t (\n  id integer\n)", "CREATE TABLE s.t (\n  id bigint\n)",
           "s.t"),
    Change("s.n", "table", "added", None, "CREATE TABLE s.n ()", None),
    Change("s.v2", "view", "renamed", "SELECT 1", "SELECT 1", "s.v"),
    Change("s.g", "table", "removed", "CREATE TABLE s.g ()", None, "s.g"),
]


def test_diff_text_groups_and_colours() -> None:
    plain = diff_text(CHANGES, "v1", "main", color=False)
    assert "\x1b" not in plain
    heads = [line for line in plain.splitlines() if not line.startswith(" ")]
    assert heads == ["added (1)", "removed (1)", "modified (1)", "renamed (1)"]
    assert "  view s.v -> s.v2" in plain
    assert "    -  id integer" in plain and "    +  id bigint" in plain
    assert "    +++ main:s.n" in plain and "    --- /dev/null" in plain
    coloured = diff_text(CHANGES, "v1", "main", color=True)
    assert "\x1b[31m-  id integer\x1b[0m" in coloured and "\x1b[32m+  id bigint\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == plain
    assert diff_text([], "a", "b", color=True) == "no differences between a and b"


def test_diff_text_shows_a_renamed_column_as_one_line_each_side() -> None:
    changes = [Change("s.t", "table", "modified", "TABLE\nCOLUMN a integer", "TABLE\nCOLUMN b integer", "s.t"),
               Change("s.t.b", "column", "renamed", "COLUMN a integer", "COLUMN b integer", "s.t.a")]
    plain = diff_text(changes, "v1", "main", color=False)
    lines = plain.splitlines()
    i = lines.index("  column s.t.a -> s.t.b")
    assert lines[i - 1] == "renamed (1)" and lines[i + 1:] == ["    -COLUMN a integer", "    +COLUMN b integer"]
    assert "    --- v1:s.t" in plain  # the table keeps its unified diff
    coloured = diff_text(changes, "v1", "main", color=True)
    assert "\x1b[31m-COLUMN a integer\x1b[0m" in coloured and ANSI.sub("", coloured) == plain


def test_migration_script_puts_warnings_beside_their_statement() -> None:
    script = schema_script([Step(1, "-- ALTER TABLE s.t DROP COLUMN c;", "column c is dropped\nwith its data"),
                               Step(2, "ALTER TABLE s.t ADD COLUMN d int;", None)], ["header"])
    lines = script.splitlines()
    assert lines[0] == "-- header"
    i = lines.index("-- ALTER TABLE s.t DROP COLUMN c;")
    assert lines[i - 2:i] == ["-- WARNING: column c is dropped", "-- WARNING: with its data"]
    assert lines.index("ALTER TABLE s.t ADD COLUMN d int;") > i and script.endswith(";\n")
    assert "nothing to do" in schema_script([], [])


# --------------------------------------------------------------------------- against a database


def commit(conn: psycopg.Connection, branch: str = "main", message: str = "") -> str:
    return conn.execute("SELECT pggit.commit_changes(%s, %s)", (branch, message)).fetchone()[0]


def dag_commit(conn: psycopg.Connection, branch: str, merge: str | None = None, message: str = "dag") -> str:
    """A commit on ``branch`` (parent: its head; the branch is created at ``merge``'s fork when new)."""
    row = conn.execute("SELECT id, head_commit_hash FROM pggit.branches WHERE name = %s", (branch,)).fetchone()
    bid, head = row
    (hash_,) = conn.execute(
        "INSERT INTO pggit.commits (hash, branch_id, parent_hash, merge_parent_hash, message)"
        " VALUES (pggit.generate_trinity_id(), %s, %s, %s, %s) RETURNING hash", (bid, head, merge, message)
    ).fetchone()
    conn.execute("UPDATE pggit.branches SET head_commit_hash = %s WHERE id = %s", (hash_, bid))
    return hash_


def new_branch(conn: psycopg.Connection, name: str, at: str) -> None:
    conn.execute("INSERT INTO pggit.branches (name, head_commit_hash) VALUES (%s, %s)", (name, at))


@db
def test_log_graph_draws_merges(run: Run, pggit_dsn: str, pggit_conn: psycopg.Connection) -> None:
    base = commit(pggit_conn, message="base")
    new_branch(pggit_conn, "x", base)
    x1 = dag_commit(pggit_conn, "x", message="on x")
    m1 = dag_commit(pggit_conn, "main", message="on main")
    merge = dag_commit(pggit_conn, "main", merge=x1, message="merge x\n\nbody")
    x2 = dag_commit(pggit_conn, "x", message="after the merge")

    status, out, err = run("--dsn", pggit_dsn, "log", "--graph")
    assert status == 0 and err == ""
    lines = out.splitlines()
    shape = [line.split("  ")[0] for line in lines]
    assert shape == ["*", "|\\", "* |", "| *", "|/", "*"], out
    assert lines[0].startswith(f"*  {merge}") and "[main] (merge)  merge x" in lines[0] and "body" not in out
    assert lines[2].split()[2] == m1 and "[main]  on main" in lines[2]  # the newer first
    assert lines[3].split()[2] == x1 and "[x]  on x" in lines[3]
    assert lines[-1].startswith(f"*  {base}") and x2 not in out

    status, out, _ = run("--dsn", pggit_dsn, "log", "--graph", "--all")
    assert status == 0 and x2 in out.splitlines()[0] and len([ln for ln in out.splitlines() if "*" in ln]) == 5

    status, out, _ = run("--dsn", pggit_dsn, "--json", "log", "--graph", "--branch", "main", "-n", "3")
    data = json.loads(out)
    assert status == 0 and data["branch"] == "main"
    nodes = {n["hash"]: n for n in data["nodes"]}
    assert [n["hash"] for n in data["nodes"]] == [merge, m1, x1]  # generation, then time, newest first
    assert nodes[merge]["parents"] == [m1, x1] and nodes[merge]["merge_parent_hash"] == x1
    assert [nodes[h]["lane"] for h in (merge, m1, x1)] == [0, 0, 1]
    status, out, _ = run("--dsn", pggit_dsn, "--json", "log", "--graph", "--branch", "x")
    assert [n["hash"] for n in json.loads(out)["nodes"]] == [x2, x1, base]
    assert all(isinstance(n["lane"], int) for n in data["nodes"]) and data["graph"][0].startswith("*")


@pytest.fixture
def history(pggit_conn: psycopg.Connection) -> dict[str, str]:
    """v1: s.t (id int, gone text) and s.old; main: gone dropped, id bigint, s.old renamed s.new, s.added."""
    pggit_conn.execute("CREATE SCHEMA s; CREATE TABLE s.t (id int, gone text); CREATE TABLE s.old (a int)")
    v1 = commit(pggit_conn, message="base")
    pggit_conn.execute("SELECT pggit.tag('v1', 'main')")
    pggit_conn.execute("ALTER TABLE s.t DROP COLUMN gone; ALTER TABLE s.t ALTER COLUMN id TYPE bigint;"
                       " ALTER TABLE s.old RENAME TO new; CREATE TABLE s.added (b text)")
    v2 = commit(pggit_conn, message="second\n\nwith a body")
    return {"v1": v1, "v2": v2}


@db
def test_diff_human_json_and_colour(run: Run, pggit_dsn: str, history: dict[str, str]) -> None:
    status, out, err = run("--dsn", pggit_dsn, "diff", "v1", "main")
    assert status == 0 and err == "" and "\x1b" not in out  # captured stdout is no terminal
    heads = [line for line in out.splitlines() if not line.startswith(" ")]
    assert heads == ["added (1)", "modified (1)", "renamed (1)"]
    assert "  table s.added" in out and "  table s.old -> s.new" in out and "  table s.t" in out
    assert any(line.startswith("    -") and "gone" in line for line in out.splitlines())
    assert any(line.startswith("    +") and "bigint" in line for line in out.splitlines())

    status, coloured, _ = run("--dsn", pggit_dsn, "diff", "v1", "main", "--color=always")
    assert status == 0 and "\x1b[32m" in coloured and ANSI.sub("", coloured) == out
    status, same, _ = run("--dsn", pggit_dsn, "diff", "main", "WORKING", "--color", "never")
    assert status == 0 and same.strip() == "no differences between main and WORKING"

    status, out, _ = run("--dsn", pggit_dsn, "--json", "diff", "v1", "main")
    data = json.loads(out)
    assert status == 0 and data["from_commit"] == history["v1"] and data["to_commit"] == history["v2"]
    assert data["counts"] == {"added": 1, "removed": 0, "modified": 1, "renamed": 1}
    renamed = next(c for c in data["changes"] if c["change"] == "renamed")
    assert renamed["old_identity"] == "s.old" and renamed["object_identity"] == "s.new"
    assert "\x1b" not in out


@db
def test_diff_reports_a_column_rename(run: Run, pggit_dsn: str, pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE SCHEMA s; CREATE TABLE s.t (id int, a int)")
    commit(pggit_conn, message="base")
    pggit_conn.execute("SELECT pggit.tag('v1', 'main')")
    pggit_conn.execute("ALTER TABLE s.t RENAME COLUMN a TO b")
    status, out, _ = run("--dsn", pggit_dsn, "diff", "v1", "WORKING")
    assert status == 0
    assert [line for line in out.splitlines() if not line.startswith(" ")] == ["modified (1)", "renamed (1)"]
    assert "  column s.t.a -> s.t.b\n    -COLUMN a integer\n    +COLUMN b integer" in out
    status, out, _ = run("--dsn", pggit_dsn, "--json", "diff", "v1", "WORKING")
    data = json.loads(out)
    assert data["counts"]["renamed"] == 1
    [column] = [c for c in data["changes"] if c["object_kind"] == "column"]
    assert (column["old_identity"], column["object_identity"], column["change"]) == ("s.t.a", "s.t.b", "renamed")
    status, out, _ = run("--dsn", pggit_dsn, "script", "v1", "WORKING")
    assert status == 0 and "ALTER TABLE s.t RENAME COLUMN a TO b;" in out and "DROP COLUMN" not in out


@db
def test_show_commit_and_merge_commit(run: Run, pggit_dsn: str, pggit_conn: psycopg.Connection,
                                      history: dict[str, str]) -> None:
    status, out, err = run("--dsn", pggit_dsn, "show", "main")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"commit {history['v2']}" and f"Parent:  {history['v1']}" in lines
    assert "Branch:  main" in lines and "    with a body" in lines and "Merge:" not in out
    assert re.search(r"^changes \(\d+\)$", out, re.M) and "table s.old -> s.new" in out

    new_branch(pggit_conn, "x", history["v1"])
    x1 = dag_commit(pggit_conn, "x")
    merge = dag_commit(pggit_conn, "main", merge=x1, message="merge x")
    status, out, _ = run("--dsn", pggit_dsn, "show", merge)
    assert status == 0 and f"Merge:   {history['v2']} {x1}" in out and "no recorded changes" in out

    status, out, _ = run("--dsn", pggit_dsn, "--json", "show", "refs/tags/v1")
    data = json.loads(out)
    assert status == 0 and data["commit"]["hash"] == history["v1"] and data["commit"]["parents"] == []
    assert data["commit"]["merge_parent_hash"] is None and data["commit"]["schema_hash"]
    status, out, _ = run("--dsn", pggit_dsn, "--json", "show", merge)
    assert json.loads(out)["commit"]["parents"] == [history["v2"], x1]


@db
def test_schema_script_applies(run: Run, pggit_dsn: str, pggit_conn: psycopg.Connection,
                               history: dict[str, str]) -> None:
    status, script, err = run("--dsn", pggit_dsn, "script", "main", "v1")
    assert status == 0
    lines = script.splitlines()
    assert lines[0].startswith(f"-- pggit migration from main ({history['v2']}) to v1 ({history['v1']})")
    statements = [line for line in lines if line and not line.startswith("--")]
    assert any("ADD COLUMN gone" in s for s in statements)
    warned = [i for i, line in enumerate(lines) if line.startswith("-- WARNING: ")]
    assert len(warned) == 2 and err.count("pggit-sql: warning: step ") == 2  # each warning on stderr too
    assert lines[warned[0] + 1] == "-- DROP TABLE s.added;" and "table s.added is dropped" in lines[warned[0]]
    assert lines[warned[1] + 1].startswith("-- ALTER TABLE s.t ALTER COLUMN id TYPE integer")
    assert "step 1: table s.added is dropped" in err

    pggit_conn.execute(script)  # as written: the commented (lossy) steps do not run
    status, out, _ = run("--dsn", pggit_dsn, "--json", "diff", "WORKING", "v1")
    left = {(c["change"], c["object_identity"]) for c in json.loads(out)["changes"]}
    assert status == 0 and left == {("removed", "s.added"), ("modified", "s.t")}
    pggit_conn.execute("\n".join(lines[i + 1][3:] for i in warned))  # the reviewer's part: the lossy steps
    status, out, _ = run("--dsn", pggit_dsn, "diff", "WORKING", "v1")
    assert status == 0 and out.strip() == "no differences between WORKING and v1"

    status, out, err = run("--dsn", pggit_dsn, "--json", "script", "v1", "v1")
    assert status == 0 and json.loads(out)["steps"] == [] and err == ""
    status, out, _ = run("--dsn", pggit_dsn, "script", "v1", "v1")
    assert status == 0 and "-- nothing to do" in out


@db
def test_old_name_migration_still_works_with_a_note(run: Run, pggit_dsn: str, history: dict[str, str]) -> None:
    """``migration`` was the command's name; "migration" now means pggit's own levels only."""
    note = "pggit-sql: note: 'migration' is now 'script' (pggit-sql script A B); the old name keeps working\n"
    # --online needs level 7: below it both names fail alike (exit 1, the same error line)
    for argv in (("main", "v1"), ("--json", "v1", "main"), ("main", "v1", "--online")):
        new = run("--dsn", pggit_dsn, "script", *argv)
        old = run("--dsn", pggit_dsn, "migration", *argv)
        assert old[:2] == new[:2] and old[2] == note + new[2]
        if "--online" not in argv:
            assert old[0] == 0 and old[1]
    status, _, err = run("--dsn", pggit_dsn, "migration", "nosuch", "main")
    assert status == 1 and err.splitlines()[0].startswith("pggit-sql: note: 'migration' is now 'script'")
    assert 'ref "nosuch" does not exist' in err.splitlines()[1]


@db
@pytest.mark.parametrize(("argv", "code", "message"), [
    (("diff", "v1", "nosuch"), 1, 'ref "nosuch" does not exist'),
    (("show", "nosuch"), 1, "(SQLSTATE 42704)"),
    (("script", "nosuch", "main"), 1, 'ref "nosuch" does not exist'),
    (("log", "--graph", "--branch", "nosuch"), 1, "SQLSTATE 42704"),
    (("show", "WORKING"), 1, "show needs a commit, branch or tag, not WORKING"),
    (("log", "--all"), 2, "--all needs --graph"),
    (("diff", "v1"), 2, "the following arguments are required: B"),
    (("diff", "v1", "main", "--color=sometimes"), 2, "invalid choice"),
])
def test_errors(run: Run, pggit_dsn: str, history: dict[str, str], argv: tuple[str, ...], code: int,
                message: str) -> None:
    status, out, err = run("--dsn", pggit_dsn, *argv)
    assert status == code and message in one_error_line(err) and out == ""
    status, out, err = run("--dsn", pggit_dsn, "--json", *argv)
    assert status == code and message in json.loads(out)["error"]


@db
def test_below_level_4(run: Run, pggit_new_database: Callable[[int], str]) -> None:
    dsn = pggit_new_database(3)
    for argv in (("log", "--graph"), ("diff", "a", "b"), ("show", "main"), ("script", "a", "b")):
        status, _, err = run("--dsn", dsn, *argv)
        assert status == 1 and f"{argv[0]}{' --graph' if argv[0] == 'log' else ''} needs level 4" in \
            one_error_line(err)
    status, out, _ = run("--dsn", dsn, "log")  # the plain log still works at level 3
    assert status == 0


def test_unreachable_database(run: Run) -> None:
    from pggit_sql.pgserver import free_port

    status, out, err = run("--dsn", f"postgresql://u:secret@127.0.0.1:{free_port()}/nowhere", "diff", "a", "b")
    line = one_error_line(err)
    assert status == 1 and "cannot connect" in line and "secret" not in line and out == ""
