"""Hypothesis strategies for PostgreSQL identifiers.

Every identifier drawn here is valid when written as a quoted identifier
(:func:`quote_ident`): it is non-empty, holds no NUL character, fits in 63 bytes of
UTF-8 (PostgreSQL silently truncates longer names, so two "different" long names
could collide) and, compared case-insensitively, is none of PostgreSQL 15's
reserved key words (:data:`RESERVED_KEYWORDS`), so it is also safe to write
unquoted where its characters allow.
"""

from __future__ import annotations

from typing import Literal

from hypothesis import strategies as st

MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1

# pg_get_keywords() of PostgreSQL 15 with catcode 'R' (reserved), 'T' (reserved, can be
# function or type name) and 'C' (unreserved, cannot be function or type name).
# tests/unit/test_strategies.py compares these sets against the live server, whatever its major.
RESERVED_KEYWORDS_15: frozenset[str] = frozenset(
    {
        # R
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both",
        "case", "cast", "check", "collate", "column", "constraint", "create", "current_catalog",
        "current_date", "current_role", "current_time", "current_timestamp", "current_user",
        "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false",
        "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially",
        "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
        "null", "offset", "on", "only", "or", "order", "placing", "primary", "references",
        "returning", "select", "session_user", "some", "symmetric", "table", "then", "to",
        "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
        "window", "with",
        # T
        "authorization", "binary", "collation", "concurrently", "cross", "current_schema",
        "freeze", "full", "ilike", "inner", "is", "isnull", "join", "left", "like", "natural",
        "notnull", "outer", "overlaps", "right", "similar", "tablesample", "verbose",
        # C
        "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal",
        "exists", "extract", "float", "greatest", "grouping", "inout", "int", "integer",
        "interval", "least", "national", "nchar", "none", "normalize", "nullif", "numeric", "out",
        "overlay", "position", "precision", "real", "row", "setof", "smallint", "substring",
        "time", "timestamp", "treat", "trim", "values", "varchar", "xmlattributes", "xmlconcat",
        "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot",
        "xmlserialize", "xmltable",
    }
)
# Words later majors added to those categories (all 'C'), by the major that added them.
KEYWORDS_ADDED: dict[int, frozenset[str]] = {
    16: frozenset({"json_array", "json_arrayagg", "json_object", "json_objectagg", "system_user"}),
    17: frozenset({"json", "json_exists", "json_query", "json_scalar", "json_serialize", "json_table",
                   "json_value", "merge_action"}),
    18: frozenset(),
}


def reserved_keywords(major: int) -> frozenset[str]:
    """The 'R', 'T' and 'C' key words of PostgreSQL ``major`` (15 or later)."""
    words = set(RESERVED_KEYWORDS_15)
    for added_in, added in KEYWORDS_ADDED.items():
        if added_in <= major:
            words |= added
    return frozenset(words)


# What generated names avoid: the key words of every major the suite runs on, so that a
# name drawn is plain on all of them.
RESERVED_KEYWORDS: frozenset[str] = reserved_keywords(max(KEYWORDS_ADDED))

IdentifierStyle = Literal["plain", "mixed", "unicode", "any"]

_PLAIN_FIRST = "abcdefghijklmnopqrstuvwxyz_"
_PLAIN_REST = _PLAIN_FIRST + "0123456789$"
# Printable ASCII: upper and lower case letters, digits, blanks, quotes and punctuation.
_MIXED_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
# Anything UTF-8 can encode except NUL (surrogates are not encodable, so excluded).
_UNICODE_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier, like PostgreSQL's ``quote_ident`` with quotes always on."""
    if "\x00" in name:
        raise ValueError("identifiers cannot contain NUL")
    return '"' + name.replace('"', '""') + '"'


def is_reserved(name: str) -> bool:
    """True when ``name`` (compared case-insensitively) is one of :data:`RESERVED_KEYWORDS`."""
    return name.lower() in RESERVED_KEYWORDS


def utf8_prefix(text: str, max_bytes: int = MAX_IDENTIFIER_BYTES) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding has at most ``max_bytes`` bytes."""
    size = 0
    for index, char in enumerate(text):
        size += len(char.encode("utf-8"))
        if size > max_bytes:
            return text[:index]
    return text


def _acceptable(name: str) -> bool:
    return bool(name) and not is_reserved(name)


def _plain(max_bytes: int) -> st.SearchStrategy[str]:
    return st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(_PLAIN_FIRST),
        st.text(alphabet=_PLAIN_REST, max_size=max_bytes - 1),
    )


def _from_chars(chars: st.SearchStrategy[str], max_bytes: int) -> st.SearchStrategy[str]:
    # Draw up to max_bytes characters and cut at the byte budget: multi-byte characters
    # would make a plain length filter reject most long examples.
    return st.text(chars, min_size=1, max_size=max_bytes).map(lambda s: utf8_prefix(s, max_bytes))


def identifiers(
    style: IdentifierStyle = "any", *, max_bytes: int = MAX_IDENTIFIER_BYTES
) -> st.SearchStrategy[str]:
    """Identifiers that PostgreSQL accepts quoted and keeps exactly as drawn.

    ``style``:

    - ``"plain"``: ``[a-z_][a-z0-9_$]*``, usable unquoted as well (case folding is a no-op);
    - ``"mixed"``: printable ASCII in any case, with blanks, quotes and punctuation: must be quoted;
    - ``"unicode"``: any non-NUL character UTF-8 can encode, control characters included;
    - ``"any"``: one of the above.

    ``max_bytes`` (at most 63) bounds the UTF-8 length, e.g. to leave room for a suffix.
    """
    if not 1 <= max_bytes <= MAX_IDENTIFIER_BYTES:
        raise ValueError(f"max_bytes must be between 1 and {MAX_IDENTIFIER_BYTES}, not {max_bytes}")
    strategies: dict[str, st.SearchStrategy[str]] = {
        "plain": _plain(max_bytes),
        "mixed": _from_chars(_MIXED_CHARS, max_bytes),
        "unicode": _from_chars(_UNICODE_CHARS, max_bytes),
    }
    if style == "any":
        chosen = st.one_of(strategies["plain"], strategies["mixed"], strategies["unicode"])
    elif style in strategies:
        chosen = strategies[style]
    else:
        raise ValueError(f"unknown identifier style {style!r}: use plain, mixed, unicode or any")
    return chosen.filter(_acceptable)
