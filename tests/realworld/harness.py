"""The replay of a corpus on the test server, and the databases the oracle works in.

:func:`prepare` clones a pggit database at head and makes a plain one, runs
:mod:`tests.realworld.replay` in two concurrent subprocesses, one per database, and returns a
:class:`Replay`: the steps (commit, branch, schema dump per step) and the pggit
database's name (kept as a template for the walks, which work on clones of it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from pggit_sql import pgserver
from pggit_sql.testing.server import PggitServer
from pggit_sql.testing.templates import TemplateChain
from tests.realworld.replay import Step

ROOT = Path(__file__).resolve().parents[2]


def client(name: str) -> str:
    """A client program (pg_dump) of the server's own major."""
    return str(pgserver.bindir() / name)


@dataclass
class Replay:
    corpus: str
    server: PggitServer
    pggit_db: str  # the database the corpus was replayed in with pggit; never modified afterwards
    steps: list[Step]
    folder: Path

    def dump_text(self, index: int) -> str:
        return (self.folder / self.steps[index].dump).read_text("utf-8")

    def conninfo(self, dbname: str | None = None) -> str:
        return self.server.conninfo(dbname or self.pggit_db)

    def clone(self, name: str) -> str:
        """A copy of the pggit database (CREATE DATABASE .. TEMPLATE): for walks that change it."""
        with self.server.connect() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            for attempt in range(100):  # a closed connection's backend exits asynchronously
                try:
                    admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(self.pggit_db)))
                    break
                except psycopg.errors.ObjectInUse:
                    if attempt == 99:
                        raise
                    time.sleep(0.05)
        return name

    def empty_database(self, name: str) -> str:
        with self.server.connect() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        return name

    def drop(self, name: str) -> None:
        with self.server.connect() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def prepare(server: PggitServer, chain: TemplateChain, head: int, corpus: str, folder: Path) -> Replay:
    """Replay ``corpus`` into a fresh pggit database and a fresh plain database; dumps under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pggit_db = chain.clone(head, hint=f"rw_{corpus}")
    plain_db = f"rw_{corpus}_plain"
    with server.connect() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(plain_db)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(plain_db)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.realworld.replay", "--corpus", corpus, "--role", role,
             "--conninfo", server.conninfo(db), "--pg-dump", client("pg_dump"), "--out", str(folder)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        for role, db in (("pggit", pggit_db), ("plain", plain_db))
    ]
    errors = [(proc, proc.communicate()[1]) for proc in running]
    failed = [stderr for proc, stderr in errors if proc.returncode != 0]
    if failed:
        raise RuntimeError(f"replaying {corpus} failed:\n" + "\n".join(e[-4000:] for e in failed))
    commits = json.loads((folder / "pggit.json").read_text("utf-8"))
    dumps = json.loads((folder / "plain.json").read_text("utf-8"))
    if [c["migration"] for c in commits] != [d["migration"] for d in dumps]:
        raise RuntimeError(f"replaying {corpus}: the two databases' plans differ")
    steps = [Step(c["index"], c["migration"], c["commit"], c["branch"], d["dump"])
             for c, d in zip(commits, dumps, strict=True)]
    with server.connect() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(plain_db)))
    return Replay(corpus, server, pggit_db, steps, folder)


def connect(conninfo: str) -> psycopg.Connection:
    return psycopg.connect(conninfo, autocommit=True)
