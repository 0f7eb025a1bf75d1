"""Write the catalog snapshots ``sql/catalog/NNNN_name.json`` that ``pggit-sql verify`` compares with.

:func:`write_snapshots` builds one scratch database on a server (the development cluster
by default), migrates it up level by level, writes each level's json
(:func:`pggit_sql.snapshots.level_fingerprint`), and drops the scratch database again.
Reading and comparing snapshots is :mod:`pggit_sql.snapshots`, which the migration
manager imports; writing them needs the migration manager, hence a module of its own.

Run as ``pggit-sql snapshot`` or ``python -m pggit_sql.snapshot_writer [--dsn SERVER]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pggit_sql import devdb
from pggit_sql.db import Dsn, connect, scratch_database
from pggit_sql.errors import PggitError
from pggit_sql.levels import default_migrations_dir, discover, refuse_packaged
from pggit_sql.migrate import Migrator
from pggit_sql.snapshots import default_catalog_dir, dump, level_fingerprint, snapshot_path


def write_snapshots(server_dsn: str | Dsn, migrations_dir: Path | None = None,
                    catalog_dir: Path | None = None) -> list[Path]:
    """Write every level's snapshot (and remove snapshots of levels that no longer exist)."""
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
    parser = argparse.ArgumentParser(prog="python -m pggit_sql.snapshot_writer", description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="a server where scratch databases may be created (default: dev cluster)")
    parser.add_argument("--migrations", type=Path, help="migrations folder (default: sql/migrations)")
    args = parser.parse_args(argv)
    try:
        migrations = args.migrations or default_migrations_dir()
        refuse_packaged(default_catalog_dir(migrations), "pggit-sql snapshot")  # before a server starts
        server = args.dsn or devdb.start()
        for path in write_snapshots(server, migrations):
            print(f"wrote {path}")
    except PggitError as exc:
        print(f"pggit-sql: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
