"""Hypothesis strategies for PostgreSQL objects and pggit values.

- :func:`identifiers`: identifiers valid when quoted (at most 63 bytes, no NUL, no
  reserved key word), plain, mixed case or unicode;
- :func:`table_definitions`: valid CREATE TABLE statements with what the catalog shows;
- :func:`table_rows`, :func:`insert_dataset`: rows a given table accepts, read from its catalog
  (and rows for the tables its foreign keys reference), and inserting them;
- :func:`valid_branch_names`, :func:`invalid_branch_names`: names ``pggit`` accepts or
  refuses as branch names (git's ref-name rules, at most 255 bytes).
"""

from pggit_sql.errors import UnsupportedColumn
from pggit_sql.testing.strategies.branches import INJECTIONS, invalid_branch_names, valid_branch_names
from pggit_sql.testing.strategies.catalog_rows import (
    Dataset,
    Ref,
    TableRows,
    insert_dataset,
    table_rows,
)
from pggit_sql.testing.strategies.identifiers import (
    MAX_IDENTIFIER_BYTES,
    RESERVED_KEYWORDS,
    IdentifierStyle,
    identifiers,
    is_reserved,
    quote_ident,
    reserved_keywords,
    utf8_prefix,
)
from pggit_sql.testing.strategies.tables import (
    COLUMN_TYPES,
    SYSTEM_COLUMNS,
    ColumnDefinition,
    ColumnType,
    TableDefinition,
    column_names,
    table_definitions,
)

__all__ = [
    "COLUMN_TYPES",
    "INJECTIONS",
    "MAX_IDENTIFIER_BYTES",
    "RESERVED_KEYWORDS",
    "SYSTEM_COLUMNS",
    "ColumnDefinition",
    "Dataset",
    "Ref",
    "TableRows",
    "UnsupportedColumn",
    "ColumnType",
    "IdentifierStyle",
    "TableDefinition",
    "column_names",
    "reserved_keywords",
    "identifiers",
    "insert_dataset",
    "invalid_branch_names",
    "is_reserved",
    "quote_ident",
    "table_definitions",
    "table_rows",
    "utf8_prefix",
    "valid_branch_names",
]
