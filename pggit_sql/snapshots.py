"""Catalog snapshots: what each level's catalog must look like, for ``pggit-sql verify``.

``sql/catalog/NNNN_name.json`` holds :func:`pggit_sql.catalog.fingerprint` of pggit's
schemas (``pggit`` and ``pggit_*`` except the bookkeeping ``pggit_meta``) in a database
migrated to that level.  For a folder of levels that is not pggit's (see
:func:`pggit_sql.migrate.claim_source`) it holds every schema except pggit's and the
bookkeeping ones, in ``catalog/`` beside that folder.  :func:`write_snapshots` builds one scratch database on a
server (the development cluster by default), migrates it up level by level, writes each
level's json, and drops the scratch database again.

Run as ``pggit-sql snapshot`` or ``python -m pggit_sql.snapshots [--dsn SERVER]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pggit_sql import dsn as dsnlib
from pggit_sql.errors import PggitError
from pggit_sql.levels import Level, default_migrations_dir, discover, refuse_packaged


def default_catalog_dir(migrations_dir: Path | None = None) -> Path:
    """``sql/catalog`` beside the migrations folder."""
    return (migrations_dir or default_migrations_dir()).parent / "catalog"


def snapshot_path(catalog_dir: Path, level: Level) -> Path:
    return catalog_dir / f"{level.name}.json"


def dump(fingerprint: dict[str, str]) -> str:
    """The canonical file text of a fingerprint (sorted keys, stable indentation)."""
    return json.dumps(fingerprint, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


@contextmanager
def scratch_database(server_dsn: str, prefix: str) -> Iterator[str]:
    """A fresh, empty database on ``server_dsn``'s server; yields its conninfo, drops it afterwards."""
    from pggit_sql.migrate import connect, db_errors

    name = f"{prefix}_{os.getpid()}"
    params = dsnlib.parse(server_dsn)
    admin = connect(server_dsn)
    try:
        with db_errors(f"cannot create scratch database {name} on {dsnlib.describe(server_dsn)}"):
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        try:
            yield make_conninfo(**dict(params, dbname=name))
        finally:
            with db_errors(f"cannot drop scratch database {name}"):
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        admin.close()


def level_fingerprint(conn: psycopg.Connection, pggit_levels: bool = True) -> dict[str, str]:
    """The fingerprint verify compares: pggit's schemas plus the event triggers calling into them.

    For a folder of levels that is not pggit's (``pggit_levels=False``): every schema except
    pggit's own, so that pggit installed in the same database does not count.  Bookkeeping
    schemas are never fingerprinted.
    """
    from pggit_sql import catalog

    pggit = catalog.pggit_schemas(conn)
    if pggit_levels:
        return catalog.fingerprint(conn, pggit)
    rows = conn.execute(
        "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'"
    ).fetchall()
    return catalog.fingerprint(conn, [name for (name,) in rows if name not in pggit])


def compare(conn: psycopg.Connection, expected: dict[str, str], pggit_levels: bool = True) -> list[str]:
    """Differences between a snapshot and the live catalog, the same on every PostgreSQL major.

    Both sides in :func:`pggit_sql.catalog.canonical` form (grants as sets, 17's MAINTAIN
    and 18's NOT NULL rows normalised), and the snapshot's view texts re-deparsed by the live
    server (:func:`pggit_sql.catalog.rebase_views`), so a snapshot written on 15 verifies
    on 16, 17 and 18.  What ``pggit-sql verify`` should compare with.
    """
    from pggit_sql import catalog

    actual = level_fingerprint(conn, pggit_levels=pggit_levels)
    return catalog.diff(catalog.rebase_views(conn, expected, actual), actual)


def write_snapshots(server_dsn: str, migrations_dir: Path | None = None,
                    catalog_dir: Path | None = None) -> list[Path]:
    """Write every level's snapshot (and remove snapshots of levels that no longer exist)."""
    from pggit_sql.migrate import Migrator, connect

    migrations_dir = migrations_dir or default_migrations_dir()
    catalog_dir = catalog_dir or default_catalog_dir(migrations_dir)
    refuse_packaged(catalog_dir, "pggit-sql snapshot")
    levels = discover(migrations_dir)
    catalog_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with scratch_database(server_dsn, "pggit_snapshot") as scratch:
        migrator = Migrator(scratch, migrations_dir)
        for level in levels:
            migrator.migrate(to=level.number)
            conn = connect(scratch)
            try:
                text = dump(level_fingerprint(conn, pggit_levels=migrator.claim_source == "catalog"))
            finally:
                conn.close()
            path = snapshot_path(catalog_dir, level)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    keep = {snapshot_path(catalog_dir, level) for level in levels}
    for stale in catalog_dir.glob("*.json"):
        if stale not in keep:
            stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pggit_sql.snapshots", description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="a server where scratch databases may be created (default: dev cluster)")
    parser.add_argument("--migrations", type=Path, help="migrations folder (default: sql/migrations)")
    args = parser.parse_args(argv)
    try:
        migrations = args.migrations or default_migrations_dir()
        refuse_packaged(default_catalog_dir(migrations), "pggit-sql snapshot")  # before a server starts
        server = args.dsn
        if not server:
            from pggit_sql import devdb

            server = devdb.start()
        for path in write_snapshots(server, migrations):
            print(f"wrote {path}")
    except PggitError as exc:
        print(f"pggit-sql: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
