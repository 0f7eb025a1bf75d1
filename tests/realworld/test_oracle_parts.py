"""The oracle's own parts, without a database: what counts as a loss, what the dump comparison ignores."""

from __future__ import annotations

from tests.realworld.oracle import normalise, pairs, tables_named
from tests.realworld.walks import losses

DUMP = """--
-- PostgreSQL database dump
--

\\restrict abc
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);

--
-- Name: t; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.t (
    id integer NOT NULL,
    a text,
    b text
);

--
-- Name: s; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.s (
    id integer NOT NULL
);
"""


def test_normalise_drops_only_what_postgresql_reprints_and_sorts_entries() -> None:
    other = DUMP.replace("abc", "xyz").replace("SET statement_timeout = 0;\n", "")
    assert normalise(DUMP) == normalise(other)
    # entries in another order: equal; columns in another order: different
    t_entry, s_entry = DUMP.split("--\n-- Name: t")[1].split("--\n-- Name: s")
    swapped = DUMP.split("--\n-- Name: t")[0] + "--\n-- Name: s" + s_entry + "--\n-- Name: t" + t_entry
    assert normalise(swapped) == normalise(DUMP)
    reordered = DUMP.replace("    a text,\n    b text\n", "    b text,\n    a text\n")
    assert normalise(reordered) != normalise(DUMP)
    # ... unless a warning says the column could not be moved in that table
    warnings = ["cannot move a column: public.t.a ends up after b"]
    unordered = tables_named(warnings, DUMP)
    assert unordered == frozenset({"public.t"})
    assert normalise(reordered, unordered) == normalise(DUMP, unordered)
    assert tables_named(["a column added"], DUMP) == frozenset()


def test_losses_need_a_lossy_step_naming_them() -> None:
    before = {1: ('"public"."t"', 3, {1: ("id", 3), 2: ("a", 3)}), 2: ('"public"."s"', 2, {1: ("id", 2)})}
    assert losses(before, before, []) == []
    dropped = {1: before[1]}
    assert losses(before, dropped, []) == ['table "public"."s" (2 rows) dropped, not by a lossy step']
    assert losses(before, dropped, ["-- DROP TABLE public.s;"]) == []
    assert losses(before, dropped, ["-- DROP TABLE public.ss;"]) != []
    fewer_rows = {1: ('"public"."t"', 2, {1: ("id", 2), 2: ("a", 2)}), 2: before[2]}
    assert any("3 rows before, 2 after" in lost for lost in losses(before, fewer_rows, ["-- DROP TABLE public.t;"]))
    column_gone = {1: ('"public"."t"', 3, {1: ("id", 3)}), 2: before[2]}
    assert losses(before, column_gone, []) == [
        'column "public"."t".a: 3 values before, 0 after, not by a lossy step']
    assert losses(before, column_gone, ["-- ALTER TABLE public.t DROP COLUMN a;"]) == []


def test_pairs() -> None:
    chosen = pairs(4)
    assert [(p.kind, p.a, p.b) for p in chosen if p.kind.startswith("far")] == [
        ("far-forward", 0, 4), ("far-backward", 4, 0)]
    assert len(chosen) == 4 + 4 + 2
    spans = pairs(100, (20,))
    assert {(p.a, p.b) for p in spans if p.kind == "far-forward"} == {(0, 100), (0, 20), (40, 60), (80, 100)}


def test_set_not_null_steps_are_read_with_quoted_and_plain_names() -> None:
    from tests.realworld.walks import _SET_NOT_NULL

    m = _SET_NOT_NULL.match('ALTER TABLE public."Odd ""t""" ALTER COLUMN permission_type SET NOT NULL;')
    assert m is not None and m.groups() == ('public."Odd ""t"""', "permission_type")
    assert _SET_NOT_NULL.match("-- ALTER TABLE public.t ALTER COLUMN c SET NOT NULL;") is None
