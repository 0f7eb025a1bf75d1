"""``pggit-sql``: install, migrate, inspect and verify pggit levels from the command line.

Commands: ``levels``, ``status [--branch B]``, ``log [--branch B] [-n N] [--graph
[--all]]``, ``diff A B [--color=auto|always|never]``, ``show REF``, ``script A B`` (old name ``migration``)
(level 4), ``migrate [--to N] [--dry-run]``, ``rollback --to N [--dry-run]``, ``verify``, ``new-level NAME``,
``dev-db [start|stop|status]``, ``snapshot``, ``fixtures [list|load|check]``.  ``status`` appends, from level 2 on, the
tracked changes not yet committed on the session's branch (or ``--branch``).  Global
options (before or after the command): ``--dsn`` (else ``$DATABASE_URL``), ``--json``
(machine-readable output for every command), ``--migrations DIR``.

Promises: human-readable output by default; with ``--json`` one JSON document on
stdout.  Every error is exactly one line ``pggit-sql: error: ...`` on stderr (and
``{"error": ...}`` on stdout with ``--json``), exit status 2 for usage errors and 1 for
everything else (including verify differences); never a traceback, unless
``PGGIT_DEBUG`` is set.  ``migrate`` only goes up and ``rollback`` only goes down: the
other direction is a usage error naming the command that would do it; a rollback that
would delete data only pggit holds is refused without ``--force`` (exit 1, what would go
listed).  User input echoed in an error (a branch, a ref, a path) is cut with an
ellipsis past 120 characters.  ``pggit-sql`` alone prints the usage on stderr (exit 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any, NoReturn

import psycopg
from yoyo import exceptions as yoyo_exceptions
from yoyo.connections import BadConnectionURI

from pggit_sql import devdb, fixture_runs, refs, snapshot_writer, snapshots
from pggit_sql import fixtures as fixtureslib
from pggit_sql import graph as graphlib
from pggit_sql import history as historylib
from pggit_sql import render as renderlib
from pggit_sql.db import Dsn, connect, first_line
from pggit_sql.errors import PggitError, UsageError, WrongDirection, clip
from pggit_sql.levels import default_migrations_dir, discover, display_path, head, refuse_packaged
from pggit_sql.migrate import Direction, Migrator
from pggit_sql.newlevel import NAME, new_level

PROG = "pggit-sql"
DEBUG_ENV = "PGGIT_DEBUG"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _Output:
    """Collects what a command reports; prints text or one JSON document."""

    def __init__(self, as_json: bool):
        self.as_json = as_json

    def emit(self, data: dict[str, Any], text: str) -> None:
        if self.as_json:
            print(json.dumps(data, indent=2, default=str))
        else:
            print(text)


# --------------------------------------------------------------------------- the parser


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--dsn", default=default,
                        help="database URL or libpq string (default: $DATABASE_URL)")
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="machine-readable output")
    parser.add_argument("--migrations", type=Path, default=default, metavar="DIR",
                        help="migrations folder (default: sql/migrations)")


def _level(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"level must be a number, not {text!r}") from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"count must be a number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"count must not be negative, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="git-like version control for PostgreSQL: manage pggit levels")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _global_options(p, suppress=True)
        return p

    command("levels", "list the levels this package knows")
    p = command("status", "the database's level, records and checksums; from level 2 the uncommitted changes")
    p.add_argument("--branch", metavar="B", help="whose uncommitted changes (default: the session's branch, main)")
    p = command("log", "the commits of a branch, newest first (level 2)")
    p.add_argument("--branch", metavar="B", default=historylib.DEFAULT_BRANCH, help="default: main")
    p.add_argument("-n", "--max-count", type=_count, metavar="N", default=historylib.DEFAULT_MAX_COUNT,
                   help=f"at most N commits (default {historylib.DEFAULT_MAX_COUNT})")
    p.add_argument("--graph", action="store_true",
                   help="draw the commit graph over both parents of merges (level 4)")
    p.add_argument("--all", action="store_true", help="with --graph: every commit of every branch")
    p = command("diff", "the schema changes from ref A to ref B (commit, branch, tag or WORKING; level 4)")
    p.add_argument("from_ref", metavar="A")
    p.add_argument("to_ref", metavar="B")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="ANSI colours: auto (only on a terminal; default), always, never")
    p = command("show", "a commit (its parents, merge parent, schema hash) and its changes (level 4)")
    p.add_argument("ref", metavar="REF")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    for name, what in (("script", "the schema script: the DDL from the schema at A to the schema at B, "
                                  "on stdout (level 4)"),
                       ("migration", "the old name of script (still works; prints a note)")):
        p = command(name, what)
        p.add_argument("from_ref", metavar="A")
        p.add_argument("to_ref", metavar="B")
        p.add_argument("--online", action="store_true",
                       help="forms that keep large tables usable: CREATE INDEX CONCURRENTLY, NOT VALID then "
                            "VALIDATE (level 7); run the script in autocommit, not in one transaction")
    p = command("migrate", "apply levels up to head (or --to N); only goes up")
    p.add_argument("--to", type=_level, metavar="N")
    p.add_argument("--dry-run", action="store_true", help="print the SQL that would run, change nothing")
    p.add_argument("--lock-timeout", type=float, metavar="SECONDS",
                   help="give up when another applier holds the lock longer")
    p = command("rollback", "roll back to level N (0 removes pggit); only goes down")
    p.add_argument("--to", type=_level, metavar="N", required=True)
    p.add_argument("--dry-run", action="store_true",
                   help="print what would be deleted and the SQL that would run, change nothing")
    p.add_argument("--force", action="store_true",
                   help="delete data only pggit holds (commits, tags, history, branch-only rows, ...) "
                        "that the rolled-back levels drop; without it such a rollback is refused")
    p.add_argument("--lock-timeout", type=float, metavar="SECONDS")
    command("verify", "check the live catalog, checksums and records against the claimed level")
    p = command("new-level", "write the next level from the changes in sql/functions")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--functions", type=Path, metavar="DIR", help="functions folder (default: sql/functions)")
    p = command("dev-db", "the local development cluster under .pggit/")
    p.add_argument("action", nargs="?", choices=("start", "stop", "status"), default="status")
    command("snapshot", "write sql/catalog/*.json from scratch databases (on --dsn's server or the dev cluster)")
    p = command("fixtures", "the fixtures beside the migrations: list them, load them into the development "
                            "database (or --dsn), or check that every level carries them (scratch databases)")
    p.add_argument("action", nargs="?", choices=("list", "load", "check"), default="list")
    p.add_argument("--fixtures", type=Path, metavar="DIR", help="fixtures folder (default: fixtures/ beside "
                                                                   "the migrations folder)")
    p.add_argument("--to", type=_level, metavar="N", help="load: climb to level N (default: head)")
    p.add_argument("--recreate", action="store_true",
                   help="load: drop and create the development database first (never a --dsn database)")
    return parser


# --------------------------------------------------------------------------- commands


def _migrator(args: argparse.Namespace) -> Migrator:
    return Migrator(Dsn.resolve(args.dsn), args.migrations, getattr(args, "lock_timeout", None))


def cmd_levels(args: argparse.Namespace, out: _Output) -> int:
    levels = discover(args.migrations or default_migrations_dir())
    rows = [{"number": lv.number, "name": lv.name, "path": display_path(lv.path),
             "rollback_path": display_path(lv.rollback_path), "sha256": lv.checksum,
             "rollback_sha256": lv.rollback_checksum} for lv in levels]
    text = "\n".join(f"{lv.number:>4}  {lv.name}" for lv in levels) or "no levels"
    out.emit({"head": head(levels), "levels": rows}, f"{text}\nhead: level {head(levels)}")
    return 0


def cmd_status(args: argparse.Namespace, out: _Output) -> int:
    st = _migrator(args).status()
    claimed = "catalog level" if st.claim_source == "catalog" else f"level recorded in {st.bookkeeping_schema}"
    lines = [st.database, f"{claimed}: {st.catalog_level} (head: {st.head})"]
    lines.append(f"{'level':>5}  {'name':<28} {'applied':<8} {'recorded':<9} {'applied at (UTC)':<27} checksum")
    for lv in st.levels:
        lines.append(f"{lv.number:>5}  {lv.name:<28} {'yes' if lv.applied else 'no':<8} "
                     f"{'yes' if lv.recorded else 'no':<9} {lv.applied_at or '-':<27} {lv.checksum}")
    lines.append("pending: " + (", ".join(map(str, st.pending)) or "none"))
    lines += [f"problem: {p}" for p in st.problems]
    data = st.to_dict()
    if st.claim_source == "catalog" and st.catalog_level >= 2:
        with connect(Dsn.resolve(args.dsn)) as conn:
            if historylib.has_tracking(conn):
                branch = args.branch or historylib.session_branch(conn)
                changes = historylib.pending_changes(conn, branch)
                if args.branch and not changes:
                    historylib.require_branch(conn, args.branch)
                data.update(pending_branch=branch, pending_changes=[c.to_dict() for c in changes])
                lines.append(f"uncommitted changes on branch {branch}: {len(changes) or 'none'}")
                lines += [f"  #{c.id:<6} {c.changed_at:%Y-%m-%d %H:%M:%S}  {c.change:<8} {c.command_tag:<22} "
                          f"{c.target}" + (f"  {c.new_version}" if c.new_version else "") for c in changes]
    out.emit(data, "\n".join(lines))
    return 0


def cmd_log(args: argparse.Namespace, out: _Output) -> int:
    if args.all and not args.graph:
        raise UsageError("--all needs --graph")
    if args.graph:
        return _log_graph(args, out)
    with connect(Dsn.resolve(args.dsn)) as conn:
        commits = historylib.log(conn, args.branch, args.max_count)
    lines = [f"{c.hash}  {c.committed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z  {c.author}  "
             + (f"[{c.branch}] " if c.branch != args.branch else "")
             + f"{c.subject}  ({c.changes} change{'' if c.changes == 1 else 's'})" for c in commits]
    out.emit({"branch": args.branch, "commits": [c.to_dict() for c in commits]},
             "\n".join(lines) or f"no commits on branch {args.branch}")
    return 0


def _log_graph(args: argparse.Namespace, out: _Output) -> int:
    with connect(Dsn.resolve(args.dsn)) as conn:
        commits = refs.graph_commits(conn, None if args.all else args.branch, args.max_count)
    by_hash = {c.hash: c for c in commits}
    rows = graphlib.layout([c.node() for c in commits])
    lanes = {r.node.id: r.lane for r in rows if r.node is not None}

    def label(node: graphlib.Node) -> str:
        c = by_hash[node.id]
        return (f"{c.hash}  {c.committed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z  {c.author}  [{c.branch}]"
                + (" (merge)" if c.merge_parent_hash else "") + f"  {c.subject}")

    where = "all branches" if args.all else f"branch {args.branch}"
    out.emit({"branch": None if args.all else args.branch, "all": args.all,
              "nodes": [dict(c.to_dict(), lane=lanes[c.hash]) for c in commits],
              "graph": graphlib.render(rows, lambda n: n.id)},
             "\n".join(graphlib.render(rows, label)) or f"no commits on {where}")
    return 0


def _color(args: argparse.Namespace) -> bool:
    if args.color == "always":
        return True
    if args.color == "never":
        return False
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def cmd_diff(args: argparse.Namespace, out: _Output) -> int:
    with connect(Dsn.resolve(args.dsn)) as conn:
        refs.require_level4(conn, "diff")
        commits = (refs.resolve(conn, args.from_ref), refs.resolve(conn, args.to_ref))
        changes = refs.diff(conn, args.from_ref, args.to_ref)
    out.emit(renderlib.diff_json(changes, args.from_ref, args.to_ref, commits),
             renderlib.diff_text(changes, args.from_ref, args.to_ref, _color(args)))
    return 0


def cmd_show(args: argparse.Namespace, out: _Output) -> int:
    with connect(Dsn.resolve(args.dsn)) as conn:
        data = refs.show(conn, args.ref)
    out.emit(data, renderlib.show_text(data, _color(args)))
    return 0


def cmd_script(args: argparse.Namespace, out: _Output) -> int:
    with connect(Dsn.resolve(args.dsn)) as conn:
        refs.require_level4(conn, "script")
        commits = [refs.resolve(conn, ref) or refs.WORKING for ref in (args.from_ref, args.to_ref)]
        steps = refs.script(conn, args.from_ref, args.to_ref, online=args.online)
    header = [f"pggit migration from {args.from_ref} ({commits[0]}) to {args.to_ref} ({commits[1]})"
              + (" (online)" if args.online else ""),
              f"{len(steps)} step{'' if len(steps) == 1 else 's'}, "
              f"{sum(1 for s in steps if s.warning)} with a warning; commented steps lose data: "
              "review them before running this script"]
    if not all(s.transactional for s in steps):
        header.append("steps marked 'outside a transaction block' cannot run in one: run this script in "
                      "autocommit (psql without --single-transaction)")
    for s in steps:
        if s.warning:
            print(f"{PROG}: warning: step {s.step}: {' '.join(s.warning.split())}", file=sys.stderr)
    if out.as_json:
        out.emit({"from": args.from_ref, "to": args.to_ref, "from_commit": commits[0], "to_commit": commits[1],
                  "steps": [s.to_dict() for s in steps]}, "")
    else:
        sys.stdout.write(renderlib.schema_script(steps, header))
    return 0


def cmd_migration(args: argparse.Namespace, out: _Output) -> int:
    """The old spelling of ``script``: "migration" is the word for pggit's own levels."""
    print(f"{PROG}: note: 'migration' is now 'script' (pggit-sql script A B); the old name keeps working",
          file=sys.stderr)
    return cmd_script(args, out)


def _dry_run(migrator: Migrator, to: int | None, out: _Output, direction: Direction) -> int:
    steps = migrator.plan(to, direction)
    text = migrator.dry_run_sql(to, direction)
    plan = [{"direction": d, "level": lv.number, "name": lv.name} for d, lv in steps]
    data: dict[str, Any] = {"dry_run": True, "database": migrator.dsn.describe(), "plan": plan, "sql": text}
    human = text if steps else "-- nothing to do"
    if direction == "rollback" and steps and to is not None:
        report = migrator.loss_report(to)
        if report is not None:
            data.update(would_delete=report.to_dict()["would_delete"], dropped_tables=report.tables,
                        dropped_columns=report.columns)
            note = (f"-- pggit-sql: {report.message()}" if report.losses
                    else f"-- pggit-sql: rollback to {to} deletes no data only pggit holds")
            human = f"{note}\n{human}"
    out.emit(data, human)
    return 0


def _warn(warnings: list[str]) -> None:
    """The WARNINGs a level's SQL raised, one line each on stderr (stdout stays the result, --json too)."""
    for warning in warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)


def cmd_migrate(args: argparse.Namespace, out: _Output) -> int:
    migrator = _migrator(args)
    if args.dry_run:
        return _dry_run(migrator, args.to, out, "apply")
    applied = migrator.migrate(args.to)
    _warn(migrator.warnings)
    level = migrator.status().catalog_level
    where = migrator.dsn.describe()
    lines = [f"applied level {lv.number} ({lv.name})" for lv in applied]
    lines.append(f"{where} is now at level {level}" if applied
                 else f"nothing to do: {where} is already at level {level}")
    out.emit({"database": where, "applied": [lv.name for lv in applied], "level": level,
              "nothing_to_do": not applied}, "\n".join(lines))
    return 0


def cmd_rollback(args: argparse.Namespace, out: _Output) -> int:
    migrator = _migrator(args)
    if args.dry_run:
        return _dry_run(migrator, args.to, out, "rollback")
    undone = migrator.rollback(args.to, force=args.force)
    _warn(migrator.warnings)
    level = migrator.status().catalog_level
    where = migrator.dsn.describe()
    lines = [f"rolled back level {lv.number} ({lv.name})" for lv in undone]
    if args.to == 0:
        lines.append(f"{'pggit' if migrator.claim_source == 'catalog' else 'every level'} removed from {where}")
    else:
        lines.append(f"{where} is now at level {level}" if undone
                     else f"nothing to do: {where} is already at level {level}")
    out.emit({"database": where, "rolled_back": [lv.name for lv in undone], "level": level,
              "nothing_to_do": not undone}, "\n".join(lines))
    return 0


def cmd_verify(args: argparse.Namespace, out: _Output) -> int:
    report = _migrator(args).verify()
    if report.ok:
        text = f"ok: {report.database} matches level {report.catalog_level}" + (
            f" ({report.snapshot})" if report.snapshot else "")
    else:
        text = "\n".join([f"{report.database} (level {report.catalog_level}) differs from what it claims:",
                          *(f"- {d}" for d in report.differences)])
    out.emit(report.to_dict(), text)
    return 0 if report.ok else 1


def _server(args: argparse.Namespace) -> str:
    """The server for scratch databases: --dsn if given (never $DATABASE_URL), else the dev cluster."""
    return Dsn.resolve(args.dsn).conninfo if args.dsn else devdb.start()


def cmd_new_level(args: argparse.Namespace, out: _Output) -> int:
    if not NAME.match(args.name):
        raise PggitError(f"invalid level name {args.name!r}: use lowercase letters, digits and _ only")
    refuse_packaged(args.migrations or default_migrations_dir(), "pggit-sql new-level")  # before a server starts
    result = new_level(args.name, _server(args), args.migrations, args.functions)
    lines = [f"wrote {display_path(result.migration)}", f"wrote {display_path(result.rollback)}"]
    if result.changes:
        lines += [f"  {c.kind}: {c.key}" for c in result.changes]
    else:
        lines.append("sql/functions matches the head level: wrote the skeleton only")
    lines.append("add table changes in the marked section, then run pggit-sql snapshot")
    out.emit(result.to_dict(), "\n".join(lines))
    return 0


def cmd_dev_db(args: argparse.Namespace, out: _Output) -> int:
    if args.action == "start":
        devdb.start()
    elif args.action == "stop":
        devdb.stop()
    st = devdb.status()
    text = (f"development cluster {st.root}: running\nconnect with: {st.psql}" if st.running
            else f"development cluster {st.root}: {'stopped' if st.initialised else 'not created'}")
    out.emit(st.to_dict(), text)
    return 0


def cmd_snapshot(args: argparse.Namespace, out: _Output) -> int:
    migrations = args.migrations or default_migrations_dir()
    refuse_packaged(snapshots.default_catalog_dir(migrations), "pggit-sql snapshot")  # before a server starts
    written = snapshot_writer.write_snapshots(_server(args), migrations)
    paths = [display_path(p) for p in written]
    out.emit({"written": paths}, "\n".join(f"wrote {p}" for p in paths) or "no levels: nothing written")
    return 0


def cmd_fixtures(args: argparse.Namespace, out: _Output) -> int:
    migrations = args.migrations or default_migrations_dir()
    if args.action != "load" and (args.to is not None or args.recreate):
        raise UsageError("--to and --recreate go with 'fixtures load' only")
    if args.action == "list":
        folder = args.fixtures or fixtureslib.default_fixtures_dir(migrations)
        found = fixtureslib.discover(folder, discover(migrations))
        rows = [{"level": fx.level, "file": display_path(fx.path), "sha256": fx.checksum,
                 "keeps": [k.table for k in fx.keeps]} for fx in found]
        text = "\n".join(f"{fx.level:>5}  {display_path(fx.path)}" + (f"  keeps {', '.join(k.table for k in fx.keeps)}"
                                                                      if fx.keeps else "") for fx in found)
        out.emit({"fixtures": rows}, text or f"no fixtures in {display_path(folder)}")
        return 0
    if args.action == "load":
        # an explicit --dsn only: $DATABASE_URL alone never receives fixtures
        if args.recreate and args.dsn:
            raise UsageError("--recreate drops the development database; it never applies to --dsn")
        target = Dsn.resolve(args.dsn).conninfo if args.dsn else devdb.start(fresh=args.recreate)
        report = fixture_runs.load_into(target, migrations, args.fixtures, args.to)
        _warn(report.warnings)
        lines = list(report.steps)
        lines.append(f"{report.database} is at level {report.level_after}"
                     + ("" if report.loaded else " (no fixture to load)"))
        out.emit(report.to_dict(), "\n".join(lines))
        return 0
    check = fixture_runs.check(_server(args), migrations, args.fixtures)
    lines = []
    if check.stairway_error:
        lines.append(f"stairway: {check.stairway_error}")
    for lv in check.levels:
        state = "ok" if not lv.problems else "FAILED"
        lines.append(f"{lv.level:>5}  {lv.name:<28} up, down, up again: {state}; "
                     f"fixtures {', '.join(lv.fixtures) or '-'}; {lv.kept_rows} kept rows in {lv.kept_tables} tables")
        lines += [f"       {problem}" for problem in lv.problems]
    out.emit(check.to_dict(), "\n".join(lines))
    return 0 if check.ok else 1


COMMANDS: dict[str, Callable[[argparse.Namespace, _Output], int]] = {
    "levels": cmd_levels, "status": cmd_status, "log": cmd_log, "diff": cmd_diff, "show": cmd_show,
    "script": cmd_script, "migration": cmd_migration, "migrate": cmd_migrate, "rollback": cmd_rollback,
    "verify": cmd_verify, "new-level": cmd_new_level, "dev-db": cmd_dev_db, "snapshot": cmd_snapshot,
    "fixtures": cmd_fixtures,
}


# --------------------------------------------------------------------------- entry point


#: The longest error line printed: a backstop behind clipping each echoed input.
MAX_ERROR = 2000
#: Arguments longer than this are cut with an ellipsis where an error echoes them.
MAX_ECHO_ARG = 120


def _fail(message: str, as_json: bool, status: int, argv: list[str] | None = None) -> int:
    line = " ".join(message.split("\n")[0].split()) or "unknown error"
    for arg in sorted(argv or [], key=len, reverse=True):  # echoed input, cut with an ellipsis
        if len(arg) > MAX_ECHO_ARG:
            line = line.replace(arg, clip(arg))
    line = clip(line, MAX_ERROR)
    if as_json:
        print(json.dumps({"error": line}))
    print(f"{PROG}: error: {line}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    as_json = "--json" in argv
    parser = build_parser()
    if not argv:  # like git: the usage, on stderr, exit 2
        sys.stderr.write(parser.format_help())
        return 2
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return _fail(str(exc), as_json, 2, argv)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    as_json = bool(args.json)
    try:
        return COMMANDS[args.command](args, _Output(as_json))
    except (UsageError, WrongDirection) as exc:
        return _fail(str(exc), as_json, 2, argv)
    except PggitError as exc:
        return _fail(str(exc), as_json, 1, argv)
    except psycopg.Error as exc:
        return _fail(f"database error: {first_line(exc)}", as_json, 1, argv)
    except (yoyo_exceptions.BadMigration, yoyo_exceptions.MigrationConflict,
            yoyo_exceptions.LockTimeout, BadConnectionURI) as exc:
        return _fail(f"{type(exc).__name__}: {first_line(exc)}", as_json, 1, argv)
    except OSError as exc:
        return _fail(str(exc), as_json, 1, argv)
    except KeyboardInterrupt:
        return _fail("interrupted", as_json, 130)
    except Exception as exc:  # never a traceback for users; PGGIT_DEBUG=1 shows it
        if os.environ.get(DEBUG_ENV):
            raise
        return _fail(f"internal error ({type(exc).__name__}): {first_line(exc)}", as_json, 1, argv)


if __name__ == "__main__":
    raise SystemExit(main())
