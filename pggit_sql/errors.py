"""Errors the CLI turns into one clear line and a non-zero exit."""


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
