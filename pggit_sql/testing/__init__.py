"""pggit's test layer: a pytest plugin and hypothesis strategies.

- :mod:`pggit_sql.testing.plugin`: the ``pggit`` pytest plugin (an ephemeral server, a
  template database per level, a fresh clone per test, ``--pggit-level``);
- :mod:`pggit_sql.testing.templates`: the template chain the plugin uses;
- :mod:`pggit_sql.testing.profiles`: hypothesis profiles ``ci``, ``dev`` and ``thorough``;
- :mod:`pggit_sql.testing.strategies`: identifiers, table definitions, branch names.

Importing this package starts nothing and needs no database.
"""
