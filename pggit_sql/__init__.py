"""pggit-sql: install, migrate, verify and test pggit, git-like version control inside PostgreSQL."""

__version__ = "0.1.0"
