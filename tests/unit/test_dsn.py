"""pggit_sql.db.Dsn: URLs and libpq strings in, parsed once; validated conninfo and yoyo URIs out (no database)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from yoyo.connections import parse_uri

from pggit_sql import db as dsnlib
from pggit_sql.db import DATABASE_URL_ENV, Dsn
from pggit_sql.errors import PggitError


def test_parse_url_and_libpq_agree() -> None:
    url = dsnlib.parse("postgresql://alice:s3cret@db.example:5433/app?sslmode=disable")
    libpq = dsnlib.parse("host=db.example port=5433 user=alice password=s3cret dbname=app sslmode=disable")
    assert url == libpq
    assert url["dbname"] == "app"
    assert url["port"] == "5433"


def test_parse_accepts_yoyo_scheme_and_postgres_alias() -> None:
    assert dsnlib.parse("postgresql+psycopg://u@h/d") == dsnlib.parse("postgres://u@h/d")


@pytest.mark.parametrize("bad", ["nonsense=1", "host=a port", "postgresql://h/x?bogus=1", "dbname='unterminated"])
def test_bad_dsn_is_one_line_pggit_error(bad: str) -> None:
    with pytest.raises(PggitError) as info:
        dsnlib.parse(bad)
    message = str(info.value)
    assert message.startswith("invalid DSN")
    assert "\n" not in message


def test_resolve_prefers_given_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://env@envhost/envdb")
    assert "dbname=given" in Dsn.resolve("dbname=given").conninfo
    assert Dsn.resolve(None).params["dbname"] == "envdb"
    monkeypatch.delenv(DATABASE_URL_ENV)
    with pytest.raises(PggitError, match="no database given"):
        Dsn.resolve(None)
    with pytest.raises(PggitError, match="no database given"):
        Dsn.resolve("")


def test_yoyo_uri_uses_psycopg3_scheme_and_bookkeeping_schema() -> None:
    uri = Dsn.parse("postgresql://alice:p%40ss@db.example:5433/my%20db").yoyo_uri()
    assert uri.startswith("postgresql+psycopg://")
    query = parse_qs(urlsplit(uri).query)
    assert query["schema"] == ["pggit_meta"]
    assert query["dbname"] == ["my db"]
    assert query["password"] == ["p@ss"]


def test_yoyo_parses_every_parameter_back() -> None:
    original = "host='/tmp/sock dir' port=5432 user=bob dbname=a&b password=x=y"
    parsed = parse_uri(Dsn.parse(original).yoyo_uri())
    assert parsed.scheme == "postgresql+psycopg"
    assert parsed.args == {**dsnlib.parse(original), "schema": "pggit_meta"}


def test_custom_schema() -> None:
    assert parse_uri(Dsn.parse("dbname=x").yoyo_uri(schema="elsewhere")).args["schema"] == "elsewhere"


def test_describe_never_shows_the_password() -> None:
    text = dsnlib.describe("postgresql://alice:topsecret@db.example:5433/app")
    assert "topsecret" not in text
    assert "'app'" in text and "db.example:5433" in text
    assert "local socket" in dsnlib.describe("dbname=x")


def test_conninfo_round_trips() -> None:
    conninfo = Dsn.parse("postgresql://u@h:1/d").conninfo
    assert dsnlib.parse(conninfo) == dsnlib.parse("postgresql://u@h:1/d")
    assert Dsn.parse(conninfo) == Dsn.parse("postgresql://u@h:1/d")


def test_a_dsn_is_an_immutable_value_that_never_shows_the_password() -> None:
    dsn = Dsn.parse("postgresql://alice:topsecret@db.example:5433/app")
    assert Dsn.parse(dsn) is dsn  # parsed once: a Dsn passes through
    with pytest.raises(AttributeError):
        dsn.items = ()  # type: ignore[misc]  # frozen: what this test checks
    other = dsn.replace(dbname="other")
    assert (other.params["dbname"], dsn.params["dbname"]) == ("other", "app")
    assert hash(dsn) == hash(Dsn.parse(dsn.conninfo))
    assert "topsecret" not in repr(dsn) and "topsecret" not in dsn.describe()
