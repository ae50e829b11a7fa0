"""Full-text search over a form's searchable fields, on SQLite (FTS5) and PostgreSQL (tsvector).

What is stored (``records.search_text``, written by the record service on every save):

- the normalized text (NFKC, case-folded, whitespace collapsed) of each searchable field, one line
  per field;
- PostgreSQL only (SQLite's trigram index needs neither): a line of CJK bigrams
  ("顾客管理" → "顾客 客管 管理"): PostgreSQL's ``simple`` parser keeps a
  run of Chinese characters as one word, so the bigrams are what lets a Chinese word inside a
  longer run be found;
- a line splitting words that hold punctuation ("ada@example.com" → "ada example com"), so
  PostgreSQL's prefix queries find the parts of e-mail addresses, URLs and codes.

``records.search_fields`` keeps the normalized text per field (``{key: text}``).

How a query runs (always inside the policy's scope filter, which the caller adds):

- SQLite: an external-content FTS5 table with the ``trigram`` tokenizer finds substrings of 3 or
  more characters in any script. Shorter terms (1-2 characters, "王", "客户") cannot use a trigram
  index; they become ``LIKE '%term%'`` on ``search_text``, evaluated only on rows the other
  conditions (form, scope, longer terms) already selected. Measured on 100,000 records of one form:
  see docs/internals.md, "Search".
- PostgreSQL: ``to_tsvector('simple', search_text) @@ to_tsquery(...)`` on a GIN expression index;
  Latin words match by prefix, Chinese runs of 2+ characters by their bigrams, a single Chinese
  character by ``LIKE`` on ``search_text``.
- Every term must match (AND). When the field mask hides a searchable field, each term must also
  be found in ``search_fields`` of a field the actor may read, so a hit never comes from a hidden
  field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, literal_column, or_, select, true
from sqlalchemy.sql import column, table

from formflow.fields.base import Field
from formflow.records.models import Record

#: most terms one query may hold; the rest are ignored
MAX_TERMS = 8
#: longest term kept, in characters
MAX_TERM_LENGTH = 100
#: shortest term the SQLite trigram index can look up
TRIGRAM = 3

_CJK = (r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
        r"\U00020000-\U0002ffff")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD_CHARS = re.compile(r"\w", re.UNICODE)
_PUNCTUATED = re.compile(r"[^\W_]+(?:[^\w\s]+[^\W_]+)+", re.UNICODE)
_SPLIT = re.compile(r"[^\w]+|_+", re.UNICODE)
_SPACES = re.compile(r"\s+")
#: control characters (NUL cannot even be sent to PostgreSQL) and lone surrogates become spaces
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

_fts = table("records_fts", column("rowid"), column("search_text"))


def normalize(text: str) -> str:
    """Text as the index keeps it: NFKC (full-width to half-width), case-folded, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", _CONTROLS.sub(" ", text)).casefold()
    return _SPACES.sub(" ", folded).strip()


def cjk_bigrams(text: str) -> list[str]:
    """Overlapping pairs of each run of 2+ CJK characters in ``text``."""
    pairs: list[str] = []
    for run in _CJK_RUN.findall(text):
        pairs.extend(run[index:index + 2] for index in range(len(run) - 1))
    return pairs


def _split_variants(text: str) -> list[str]:
    return [" ".join(part for part in _SPLIT.split(word) if part) for word in _PUNCTUATED.findall(text)]


def field_texts(fields: Iterable[Field], data: Mapping[str, Any]) -> dict[str, str]:
    """Normalized search text of each searchable field that has a value: ``{key: text}``."""
    texts: dict[str, str] = {}
    for field in fields:
        if not field.searchable:
            continue
        value = data.get(field.key)
        if value is None:
            continue
        text = normalize(field.type.search_text(field, value))
        if text:
            texts[field.key] = text
    return texts


def _postgresql_lines(joined: str) -> list[str]:
    """The CJK bigram line and the word-parts line ``to_tsvector`` needs (see the module docstring)."""
    lines = []
    bigrams = cjk_bigrams(joined)
    if bigrams:
        lines.append(" ".join(bigrams))
    variants = _split_variants(joined)
    if variants:
        lines.append(" ".join(variants))
    return lines


def _no_lines(_joined: str) -> list[str]:
    """SQLite's trigram index finds any substring of the field lines; extra lines would only cost space."""
    return []


#: the lines after the field texts, by dialect
_EXTRA_LINES = {"sqlite": _no_lines, "postgresql": _postgresql_lines}


def search_text(texts: Mapping[str, str], dialect_name: str) -> str:
    """The indexed ``search_text`` for per-field texts (see the module docstring for the layout).

    Only PostgreSQL gets the bigram and word-parts lines: on SQLite every term (which never holds
    whitespace) found in them is a substring of a field line already, so they would change no result.
    """
    lines = list(texts.values())
    lines.extend(_EXTRA_LINES[dialect_name](" ".join(lines)))
    return "\n".join(lines)


def terms(query: str) -> list[str]:
    """The normalized terms of a user's query: whitespace-separated, deduplicated, with a letter or digit."""
    found: list[str] = []
    for term in normalize(query).split(" "):
        term = term[:MAX_TERM_LENGTH]
        if term and _WORD_CHARS.search(term) and term not in found:
            found.append(term)
    return found[:MAX_TERMS]


def _contains(expression: Any, term: str) -> ColumnElement[bool]:
    return expression.contains(term, autoescape=True)


def _sqlite_match(long_terms: list[str]) -> ColumnElement[bool]:
    phrase = " ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
    matches = select(_fts.c.rowid).where(literal_column("records_fts").op("MATCH")(phrase))
    return Record.id.in_(matches)


def _sqlite_condition(query_terms: list[str]) -> ColumnElement[bool]:
    long_terms = [term for term in query_terms if len(term) >= TRIGRAM]
    conditions = [_contains(Record.search_text, term) for term in query_terms if len(term) < TRIGRAM]
    if long_terms:
        conditions.insert(0, _sqlite_match(long_terms))
    return and_(*conditions)


def _quote_lexeme(text: str, prefix: bool) -> str:
    escaped = text.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'" + (":*" if prefix else "")


def _tsquery_part(term: str) -> str | None:
    """The to_tsquery text for one term, or None when it needs LIKE (a lone CJK character)."""
    parts: list[str] = []
    position = 0
    for match in _CJK_RUN.finditer(term):
        if len(match.group()) < 2:
            return None
        before = term[position:match.start()]
        if _WORD_CHARS.search(before):
            parts.append(_quote_lexeme(before, prefix=True))
        run = match.group()
        parts.extend(_quote_lexeme(run[index:index + 2], prefix=False) for index in range(len(run) - 1))
        position = match.end()
    rest = term[position:]
    if _WORD_CHARS.search(rest):
        parts.append(_quote_lexeme(rest, prefix=True))
    return " & ".join(parts) if parts else None


def _postgresql_condition(query_terms: list[str]) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    tsquery_parts: list[str] = []
    for term in query_terms:
        part = _tsquery_part(term)
        if part is None:
            conditions.append(_contains(Record.search_text, term))
        else:
            tsquery_parts.append(part)
    if tsquery_parts:
        # the config is inlined so the expression matches the GIN index's exactly
        simple = literal_column("'simple'")
        vector = func.to_tsvector(simple, Record.search_text)
        conditions.insert(0, vector.op("@@")(func.to_tsquery(simple, " & ".join(tsquery_parts))))
    return and_(*conditions)


_CONDITIONS = {"sqlite": _sqlite_condition, "postgresql": _postgresql_condition}


def search_condition(dialect_name: str, query: str, readable_keys: Iterable[str] | None = None
                     ) -> ColumnElement[bool]:
    """SQL condition on ``Record`` for records matching every term of ``query``.

    ``readable_keys`` is None when the actor may read every searchable field; else the searchable
    field keys the actor may read, and each term must also occur in one of them.
    """
    query_terms = terms(query)
    if not query_terms:
        return true()
    condition = _CONDITIONS[dialect_name](query_terms)
    if readable_keys is None:
        return condition
    keys = sorted(readable_keys)
    if not keys:
        return false()
    confirmations = [or_(*(_contains(Record.search_fields[key].as_string(), term) for key in keys))
                     for term in query_terms]
    return and_(condition, *confirmations)
