"""pggit-sql: install, migrate, verify and test pggit, git-like version control inside PostgreSQL.

Where the main things live, roughly from the bottom of the import graph up (it has no
circle and no pggit_sql import inside a function: tests/static/test_import_graph.py):

- :mod:`pggit_sql.errors`: every exception class; :mod:`pggit_sql.db`: the connection core
  (a DSN parsed once into :class:`~pggit_sql.db.Dsn`, ``connect``, ``db_errors``,
  ``first_line``, scratch databases);
- :mod:`pggit_sql.levels`: the levels of a migrations folder and where the project is;
  :mod:`pggit_sql.catalog`: catalog fingerprints; :mod:`pggit_sql.snapshots`: reading and
  comparing catalog snapshots; :mod:`pggit_sql.fixtures`: fixture files;
- :mod:`pggit_sql.migrate`: the migration manager (``Migrator``) over yoyo, with
  :mod:`pggit_sql.rollback_loss`;
  :mod:`pggit_sql.snapshot_writer`, :mod:`pggit_sql.newlevel`, :mod:`pggit_sql.fixture_runs`:
  what builds on it;
- SQL API clients: :mod:`pggit_sql.history` (log, status), :mod:`pggit_sql.refs` (refs,
  the commit graph, diff, show, migration scripts), rendered by :mod:`pggit_sql.render`
  and :mod:`pggit_sql.graph`;
- servers: :mod:`pggit_sql.accounts` (the server account when root),
  :mod:`pggit_sql.majors` (server binaries per major), :mod:`pggit_sql.pgserver`
  (``Cluster``, the one server wrapper), :mod:`pggit_sql.devdb` (the development cluster, a
  ``Cluster``; the test layer's throw-away server, :mod:`pggit_sql.testing.server`, is another);
- :mod:`pggit_sql.cli` (``pggit-sql``), :mod:`pggit_sql.install_db` (``make install-db``),
  :mod:`pggit_sql.testing` (the pytest plugin and strategies).
"""

__version__ = "0.1.0"
