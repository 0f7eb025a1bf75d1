r"""Replay a corpus' Django migration plan one migration at a time into two databases.

Run in subprocesses (``python -m tests.realworld.replay``), one per database, because
Django's settings are process-wide (and a data migration's ORM writes go to the default
database).  Into

* the pggit database (pggit installed at head): after every migration
  ``pggit.commit_changes('main', '<app>.<migration>')`` and a branch ``rw/<step>`` at
  that commit (for the checkout walk);
* the plain database (no pggit): after every migration ``pg_dump --schema-only``.

Step 0 is the empty database (committed and dumped before the first migration); step i
is the database after the plan's i-th migration.  Each process writes ``<role>.json`` in the
output folder; :func:`tests.realworld.harness.prepare` merges them into :class:`Step`\ s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.realworld.corpus import CORPORA


@dataclass(frozen=True)
class Step:
    index: int
    migration: str  # "<app_label>.<name>", "" for step 0
    commit: str
    branch: str
    dump: str  # file name in the output folder


def branch_name(index: int) -> str:
    return f"rw/{index:04d}"


def _database(conninfo: str) -> dict[str, object]:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(conninfo)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": params.get("dbname", "postgres"),
        "HOST": params.get("host", ""),
        "PORT": str(params.get("port", "")),
        "USER": params.get("user", ""),
        "PASSWORD": params.get("password", ""),
    }


def configure(apps: tuple[str, ...], conninfo: str) -> None:
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=list(apps),
        DATABASES={"default": _database(conninfo)},
        SECRET_KEY="realworld-replay",
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        SITE_ID=1,
        STATIC_URL="/static/",
        MEDIA_URL="/media/",
        WAGTAIL_SITE_NAME="replay",
        WAGTAILADMIN_BASE_URL="http://localhost",
        MIDDLEWARE=[],
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                    "OPTIONS": {"context_processors": []}}],
    )
    django.setup()


def dump(pg_dump: str, conninfo: str, path: Path) -> None:
    subprocess.run([pg_dump, "--schema-only", "--no-password", "-f", str(path), "-d", conninfo], check=True)


def replay(corpus: str, conninfo: str, role: str, pg_dump: str, out: Path) -> list[dict[str, object]]:
    """Apply the plan one migration at a time; after each (and before the first) record the step:
    role ``pggit``: commit and branch; role ``plain``: the schema dump."""
    configure(CORPORA[corpus], conninfo)
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes(), clean_start=True)
    state = executor._create_project_state(with_applied_migrations=True)

    def record(index: int, label: str) -> dict[str, object]:
        row: dict[str, object] = {"index": index, "migration": label}
        if role == "pggit":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pggit.commit_changes('main', %s)", [label or "empty"])
                row["commit"] = cursor.fetchone()[0]
                cursor.execute("SELECT pggit.create_branch(%s)", [branch_name(index)])
            row["branch"] = branch_name(index)
        else:
            row["dump"] = f"{index:04d}.sql"
            dump(pg_dump, conninfo, out / str(row["dump"]))
        return row

    rows = [record(0, "")]
    for index, (migration, _) in enumerate(plan, start=1):
        if "apps" not in state.__dict__:
            state.apps  # noqa: B018  rendered once, as Django's migrate does
        state = executor.apply_migration(state, migration)
        rows.append(record(index, f"{migration.app_label}.{migration.name}"))
    connection.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", choices=sorted(CORPORA), required=True)
    parser.add_argument("--conninfo", required=True, help="the database to replay into")
    parser.add_argument("--role", choices=("pggit", "plain"), required=True,
                        help="pggit: commit after each step (pggit installed); plain: dump after each step")
    parser.add_argument("--pg-dump", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = replay(args.corpus, args.conninfo, args.role, args.pg_dump, args.out)
    (args.out / f"{args.role}.json").write_text(json.dumps(rows, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
