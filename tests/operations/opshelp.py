"""Helpers of the operations tests (backups, restores, other majors)."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import sql

from pggit_sql import catalog, pgserver, snapshots
from pggit_sql.levels import default_migrations_dir, discover
from pggit_sql.testing.server import PggitServer


def client(name: str) -> str:
    """A client program (pg_dump, pg_restore) of the server's own major."""
    path = pgserver.bindir() / name
    if not path.is_file():
        pytest.skip(f"{path} is not installed")
    return str(path)


def empty_database(server: PggitServer, name: str) -> str:
    with server.connect() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    return server.conninfo(name)


def drop(server: PggitServer, name: str) -> None:
    with server.connect() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def head_snapshot(head: int) -> dict[str, str]:
    """The catalog snapshot of level ``head`` (sql/catalog, written on 15)."""
    level = discover(default_migrations_dir())[head - 1]
    return dict(json.loads(snapshots.snapshot_path(snapshots.default_catalog_dir(), level).read_text("utf-8")))


def server_major(server: PggitServer) -> int:
    with server.connect() as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()
    return int(row[0]) if row else 0


def pggit_fingerprint(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return catalog.fingerprint(conn, catalog.pggit_schemas(conn))
