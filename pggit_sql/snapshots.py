"""Catalog snapshots: what each level's catalog must look like, for ``pggit-sql verify``.

``sql/catalog/NNNN_name.json`` holds :func:`pggit_sql.catalog.fingerprint` of pggit's
schemas (``pggit`` and ``pggit_*`` except the bookkeeping ``pggit_meta``) in a database
migrated to that level.  For a folder of levels that is not pggit's (see
:func:`pggit_sql.migrate.claim_source`) it holds every schema except pggit's and the
bookkeeping ones, in ``catalog/`` beside that folder.  This module reads and compares
them (what ``pggit-sql verify`` needs); :mod:`pggit_sql.snapshot_writer` writes them.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from pggit_sql import catalog
from pggit_sql.levels import Level, default_migrations_dir


def default_catalog_dir(migrations_dir: Path | None = None) -> Path:
    """``sql/catalog`` beside the migrations folder."""
    return (migrations_dir or default_migrations_dir()).parent / "catalog"


def snapshot_path(catalog_dir: Path, level: Level) -> Path:
    return catalog_dir / f"{level.name}.json"


def dump(fingerprint: dict[str, str]) -> str:
    """The canonical file text of a fingerprint (sorted keys, stable indentation)."""
    return json.dumps(fingerprint, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def level_fingerprint(conn: psycopg.Connection, pggit_levels: bool = True) -> dict[str, str]:
    """The fingerprint verify compares: pggit's schemas plus the event triggers calling into them.

    For a folder of levels that is not pggit's (``pggit_levels=False``): every schema except
    pggit's own, so that pggit installed in the same database does not count.  Bookkeeping
    schemas are never fingerprinted.
    """
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
    actual = level_fingerprint(conn, pggit_levels=pggit_levels)
    return catalog.diff(catalog.rebase_views(conn, expected, actual), actual)
