"""A Python model of pggit's commit trees, and a stand-in for level 2's DDL capture.

The model re-derives, independently of the SQL, what sql/functions/trees/ promises:
bucket = 1 + first byte of sha256(UTF-8 identity); a node's hash = sha256 of its
entries' canonical lines ``esc(kind) TAB esc(identity) TAB blob LF`` ordered by the
UTF-8 bytes of identity then kind; the root = sha256 of the 256 node hashes
concatenated.

:class:`FakeCapture` writes registry, blob and history rows the way the capture
contract describes them (used where no real DDL is needed, so the tree tests do not
depend on which DDL the event triggers understand).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import psycopg

EMPTY = hashlib.sha256(b"").hexdigest()
Key = tuple[str, str]  # (kind, identity)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bucket(identity: str) -> int:
    return hashlib.sha256(identity.encode("utf-8")).digest()[0] + 1


def esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def node_text(entries: Iterable[tuple[str, str, str]]) -> str:
    """Canonical text of a bucket's (kind, identity, blob) entries."""
    ordered = sorted(entries, key=lambda e: (e[1].encode("utf-8"), e[0].encode("utf-8")))
    return "".join(f"{esc(kind)}\t{esc(identity)}\t{blob}\n" for kind, identity, blob in ordered)


def tree_of(entries: Mapping[Key, str]) -> list[str]:
    """The 256 node hashes of a tree given as {(kind, identity): blob}."""
    buckets: dict[int, list[tuple[str, str, str]]] = {}
    for (kind, identity), blob in entries.items():
        buckets.setdefault(bucket(identity), []).append((kind, identity, blob))
    return [sha(node_text(buckets.get(b, []))) for b in range(1, 257)]


def root_of(entries: Mapping[Key, str]) -> str:
    return sha("".join(tree_of(entries)))


# --------------------------------------------------------------------------- reading the database


def commit_tree(conn: psycopg.Connection, commit: str) -> dict[Key, str]:
    rows = conn.execute("SELECT object_kind, object_identity, blob_hash FROM pggit.commit_tree(%s)",
                        (commit,)).fetchall()
    tree = {(kind, identity): blob for kind, identity, blob in rows}
    assert len(tree) == len(rows), "a (kind, identity) appears twice in a tree"
    return tree


def commit_row(conn: psycopg.Connection, commit: str) -> tuple[list[str] | None, str | None]:
    """(the 256 bucket node hashes, the root) of a commit's tree; (None, None) for a level-1 commit."""
    row = conn.execute("SELECT t.buckets, c.schema_hash FROM pggit.commits c"
                       " LEFT JOIN pggit.trees t ON t.hash = c.schema_hash WHERE c.hash = %s", (commit,)).fetchone()
    assert row is not None
    return row[0], row[1]


def assert_capture_installed(conn: psycopg.Connection) -> None:
    """Level 2's event triggers (capture) exist: the DDL these tests run is recorded."""
    (triggers,) = conn.execute(
        "SELECT count(*) FROM pg_catalog.pg_event_trigger e JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'pggit' AND e.evtname IN ('pggit_ddl_command_end', 'pggit_sql_drop')").fetchone()
    assert triggers == 2, "level 2's event triggers pggit_ddl_command_end and pggit_sql_drop are missing"


def live_registry(conn: psycopg.Connection) -> dict[Key, str]:
    rows = conn.execute("SELECT kind, identity, hash FROM pggit.objects WHERE dropped_at IS NULL").fetchall()
    return {(kind, identity): blob for kind, identity, blob in rows}


def head(conn: psycopg.Connection, branch: str = "main") -> str | None:
    row = conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = %s", (branch,)).fetchone()
    return row[0] if row else None


def commit(conn: psycopg.Connection, branch: str = "main", message: str = "") -> str:
    (tid,) = conn.execute("SELECT pggit.commit_changes(%s, %s)", (branch, message)).fetchone()
    return tid


def counts(conn: psycopg.Connection) -> dict[str, int]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM pggit.tree_nodes), (SELECT count(*) FROM pggit.commits),"
        " (SELECT count(*) FROM pggit.history WHERE commit_hash IS NULL), (SELECT count(*) FROM pggit.blobs),"
        " (SELECT count(*) FROM pggit.trees)"
    ).fetchone()
    return dict(zip(("nodes", "commits", "pending", "blobs", "trees"), row, strict=True))


def check_commit(conn: psycopg.Connection, commit_hash: str) -> dict[Key, str]:
    """Assert a commit's stored tree, its nodes and its root agree with the model; its entries."""
    tree, root = commit_row(conn, commit_hash)
    assert tree is not None and len(tree) == 256
    entries = commit_tree(conn, commit_hash)
    assert tree == tree_of(entries), "stored node hashes differ from the model's"
    assert root == root_of(entries) == sha("".join(tree))
    return entries


def check_all_nodes(conn: psycopg.Connection) -> None:
    """Every stored node's hash is the sha256 of its entries' canonical text, and entries are in order."""
    for node_hash, entries in conn.execute("SELECT hash, entries FROM pggit.tree_nodes").fetchall():
        triples = [tuple(e) for e in entries]
        assert node_hash == sha(node_text(triples)), f"node {node_hash} does not hash to its entries"
        assert [e for e in triples] == sorted(triples, key=lambda e: (e[1].encode(), e[0].encode()))
        assert len({bucket(e[1]) for e in triples}) <= 1, "a node mixes buckets"


# --------------------------------------------------------------------------- a stand-in for capture


_OBJIDS = itertools.count(4_000_000_000)


@dataclass
class FakeObject:
    id: int
    kind: str
    identity: str
    blob: str


class FakeCapture:
    """Registry, blob and history rows as level 2's capture writes them (contract of DESIGN.md 4)."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def _blob(self, definition: str) -> str:
        blob = sha(definition)
        self.conn.execute("INSERT INTO pggit.blobs (hash, definition) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                          (blob, definition))
        return blob

    def _history(self, obj: FakeObject | None, change: str, branch: str, *, old_identity: str | None = None,
                 old_hash: str | None = None, new_hash: str | None = None, tag: str = "ALTER TABLE") -> int:
        (hid,) = self.conn.execute(
            "INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, command_tag,"
            " change, statement, old_hash, new_hash, role, branch)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, current_user, %s) RETURNING id",
            (obj.id if obj else None, obj.kind if obj else None, obj.identity if obj else None,
             old_identity if old_identity is not None else (obj.identity if obj else None), tag, change,
             f"-- fake {change}", old_hash, new_hash, branch),
        ).fetchone()
        return hid

    def create(self, kind: str, identity: str, definition: str, branch: str = "main") -> FakeObject:
        blob = self._blob(definition)
        (oid,) = self.conn.execute(
            "INSERT INTO pggit.objects (kind, schema_name, object_name, identity, classid, objid, structure,"
            " definition, hash) VALUES (%s, 'fake', %s, %s, 'pg_catalog.pg_class'::regclass, %s, '{}', %s, %s)"
            " RETURNING id",
            (kind, identity, identity, next(_OBJIDS) % 4_294_967_296, definition, blob),
        ).fetchone()
        obj = FakeObject(oid, kind, identity, blob)
        self._history(obj, "create", branch, old_identity=identity, new_hash=blob, tag=f"CREATE {kind.upper()}")
        return obj

    def alter(self, obj: FakeObject, definition: str, branch: str = "main", change: str = "patch") -> None:
        blob = self._blob(definition)
        old = obj.blob
        self.conn.execute("UPDATE pggit.objects SET definition = %s, hash = %s WHERE id = %s",
                          (definition, blob, obj.id))
        obj.blob = blob
        self._history(obj, change, branch, old_hash=old, new_hash=blob)

    def rename(self, obj: FakeObject, identity: str, branch: str = "main") -> None:
        old = obj.identity
        self.conn.execute("UPDATE pggit.objects SET identity = %s, object_name = %s WHERE id = %s",
                          (identity, identity, obj.id))
        obj.identity = identity
        self._history(obj, "none", branch, old_identity=old, old_hash=obj.blob, new_hash=obj.blob,
                      tag="ALTER TABLE")

    def drop(self, obj: FakeObject, branch: str = "main") -> None:
        self.conn.execute("UPDATE pggit.objects SET dropped_at = clock_timestamp(), objid = NULL WHERE id = %s",
                          (obj.id,))
        self._history(obj, "drop", branch, old_hash=obj.blob, tag=f"DROP {obj.kind.upper()}")

    def session_row(self, change: str, branch: str = "main") -> int:
        """A pause / resume / untracked row (no object)."""
        return self._history(None, change, branch, tag="SET")
