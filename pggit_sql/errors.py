"""Every exception class of pggit_sql: the errors the CLI turns into one clear line and a non-zero exit.

:class:`PggitError` and its subclasses are failures the user can act on; :class:`UsageError`
is a bad command line (exit status 2); :class:`UnsupportedColumn` is a ValueError of the test
layer's row strategies.
"""


class PggitError(Exception):
    """A failure the user can act on; its message is one line meant for people."""


class ServerBinariesMissing(PggitError):
    """PostgreSQL server binaries (pg_ctl, initdb, postgres) are not installed."""


class ConnectionFailed(PggitError):
    """The database could not be reached or refused the credentials."""


class LevelError(PggitError):
    """A level is unknown, out of range, or the database is at a level this package does not know."""


class ChecksumMismatch(PggitError):
    """An applied level's migration file has changed since it was applied."""


class ForeignSchema(PggitError):
    """A schema named pggit exists that this package did not create."""


class VerifyFailed(PggitError):
    """The live catalog does not match the level the database claims."""


class WrongDirection(LevelError):
    """``migrate`` asked to go down or ``rollback`` asked to go up: a usage error (exit status 2)."""


class DataLoss(PggitError):
    """A rollback would delete data held only by pggit and ``--force`` was not given."""


class TemplateError(PggitError):
    """A template database of the test layer could not be built, or something still uses it."""


class FixtureError(PggitError):
    """A fixture file is misnamed, fails to load, or a level lost, changed or rejected its kept rows."""


class SnapshotMissing(PggitError):
    """A level's catalog snapshot (sql/catalog/NNNN_name.json) is missing."""


class NotTracking(PggitError):
    """The database has no pggit history (it is below level 2)."""


class NeedsLevel4(PggitError):
    """The database has no level-4 functions (it is below level 4): refs, diff, show, migration scripts."""


class UsageError(Exception):
    """Bad command line (exit status 2)."""


class UnsupportedColumn(ValueError):
    """A NOT NULL column without default whose type the row strategies cannot draw
    (:func:`pggit_sql.testing.strategies.table_rows`)."""


#: The longest piece of user input (a branch name, a ref, a path) a message echoes whole.
MAX_ECHO = 120
ELLIPSIS = "..."  # ASCII, as pggit.clip() in SQL: one spelling in every message


def clip(text: object, limit: int = MAX_ECHO) -> str:
    """``text`` as is when at most ``limit`` characters, else its first ``limit - 1`` and ``...``.

    For messages that echo user input: a 10,000-character branch name must not make a
    10,000-character error line.
    """
    value = str(text)
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + ELLIPSIS
