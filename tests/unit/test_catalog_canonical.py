"""pggit_sql.catalog.canonical: fingerprints compare the same on every major (no database)."""

from __future__ import annotations

from pggit_sql import catalog

OWNER_ALL_15 = ", ".join(f"<owner>={p} by <owner>" for p in
                         ("INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"))


def _table(acl: str) -> str:
    return "kind=r\npersistence=p\nview=\ncomment=\nacl=" + acl


def test_grants_compare_as_sets() -> None:
    head = "CREATE FUNCTION ...\nvolatility=v\n"
    a = {"function pggit.f()": head + "acl=<owner>=EXECUTE by <owner>, PUBLIC=EXECUTE by <owner>"}
    b = {"function pggit.f()": head + "acl=PUBLIC=EXECUTE by <owner>, <owner>=EXECUTE by <owner>"}
    assert catalog.diff(a, b) == []
    c = {"function pggit.f()": "CREATE FUNCTION ...\nvolatility=v\nacl=<owner>=EXECUTE by <owner>"}
    assert catalog.diff(a, c) != []


def test_maintain_implied_by_all_is_dropped() -> None:
    on_15 = {"table pggit.t": _table(OWNER_ALL_15 + ", bob=SELECT by <owner>")}
    on_17 = {"table pggit.t": _table("bob=SELECT by <owner>, <owner>=MAINTAIN by <owner>, " + OWNER_ALL_15)}
    assert catalog.diff(on_15, on_17) == []
    assert catalog.canonical(on_17) == catalog.canonical(on_15)


def test_maintain_granted_on_its_own_stays() -> None:
    on_15 = {"table pggit.t": _table(OWNER_ALL_15)}
    on_17 = {"table pggit.t": _table(OWNER_ALL_15 + ", <owner>=MAINTAIN by <owner>, PUBLIC=MAINTAIN by <owner>")}
    (line,) = catalog.diff(on_15, on_17)
    assert "PUBLIC=MAINTAIN" in line
    assert "<owner>=MAINTAIN" not in catalog.canonical(on_17)["table pggit.t"]


def test_maintain_with_grant_option_needs_all_with_grant_option() -> None:
    all_grantable = ", ".join(f"bob={p}* by <owner>" for p in
                              ("INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"))
    kept = catalog.canonical({"table pggit.t": _table(OWNER_ALL_15 + ", bob=MAINTAIN* by <owner>")})
    assert "bob=MAINTAIN*" in kept["table pggit.t"]
    dropped = catalog.canonical({"table pggit.t": _table(all_grantable + ", bob=MAINTAIN* by <owner>")})
    assert "MAINTAIN" not in dropped["table pggit.t"]


def test_plain_not_null_rows_of_18_are_left_out() -> None:
    column = {"column pggit.t.a": "position=1\ntype=integer\nnot null=true\nacl=none"}
    on_18 = dict(column, **{
        "constraint pggit.t.t_a_not_null": "type=n\nNOT NULL a\ndeferrable=false/false\nvalid=true\ncomment=",
    })
    assert catalog.diff(column, on_18) == []
    for special in ("type=n\nNOT NULL a NO INHERIT\ndeferrable=false/false\nvalid=true\ncomment=",
                    "type=n\nNOT NULL a\ndeferrable=false/false\nvalid=false\ncomment=",
                    "type=n\nNOT NULL a\ndeferrable=false/false\nvalid=true\ncomment=why"):
        assert catalog.diff(column, dict(column, **{"constraint pggit.t.t_a_not_null": special})) == [
            "unexpected: constraint pggit.t.t_a_not_null"]


def test_only_the_last_line_is_taken_for_grants() -> None:
    body = "CREATE FUNCTION f() ... $$\nacl=b, a\n$$\nvolatility=v\nacl=y=EXECUTE by <owner>, x=EXECUTE by <owner>"
    value = catalog.canonical({"function pggit.f()": body})["function pggit.f()"]
    assert "\nacl=b, a\n" in value
    assert value.endswith("acl=x=EXECUTE by <owner>, y=EXECUTE by <owner>")


def test_policy_roles_sorted_and_canonical_idempotent() -> None:
    fp = {"policy pggit.t.p": "cmd=r\npermissive=true\nroles=zed,PUBLIC,amy\nusing=true\ncheck=",
          "schema pggit": "comment=\nacl=none"}
    once = catalog.canonical(fp)
    assert once["policy pggit.t.p"].split("\n")[2] == "roles=PUBLIC,amy,zed"
    assert catalog.canonical(once) == once
    assert list(once) == sorted(once)
