"""What a search or filter string may be: bounded before it becomes SQL.

Every term of a text search is one more condition over several columns, so an unbounded text
(900 terms) made one request cost seconds of query building and matching, and past ~1,000 terms
a RecursionError. An exact-match filter longer than its column can never match, and PostgreSQL
refuses a parameter longer than a `varchar(n)` column it is compared with. Both are INVALID_INPUT
with the argument's path, before anything reaches the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from cungoods.services.errors import invalid

MAX_TERMS = 8
MAX_SEARCH_CHARS = 64


def search_terms(text: str | None, field: Sequence[str] = ("search",)) -> list[str]:
    """The whitespace-separated terms of a search text (full-width spaces too, as Chinese
    keyboards type them): at most MAX_TERMS terms and MAX_SEARCH_CHARS characters in all."""
    cleaned = (text or "").replace("\u3000", " ").strip()
    if len(cleaned) > MAX_SEARCH_CHARS:
        raise invalid(f"a search is at most {MAX_SEARCH_CHARS} characters", *field)
    terms = cleaned.split()
    if len(terms) > MAX_TERMS:
        raise invalid(f"a search has at most {MAX_TERMS} words", *field)
    return terms


def search_text(text: str | None, field: Sequence[str] = ("search",)) -> str | None:
    """A search matched as one phrase: stripped, bounded as search_terms, None when blank."""
    search_terms(text, field)
    cleaned = (text or "").strip()
    return cleaned or None


def exact_filter(value: str | None, longest: int, field: Sequence[str]) -> str | None:
    """An exact-match filter on a column of `longest` characters: stripped, None when blank,
    INVALID_INPUT when longer than the column (no row could match it)."""
    cleaned = (value or "").strip()
    if len(cleaned) > longest:
        raise invalid(f"at most {longest} characters", *field)
    return cleaned or None
