"""The query language shared by the search box, smart albums and the CLI: parsing into a small tree.

    query   := or_expr
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary+                      (terms side by side must all hold)
    unary   := "-" unary | atom            (- negates: -camera:canon, -"old photos")
    atom    := "(" or_expr ")" | NAME ":" value | "phrase in quotes" | word
    value   := "quoted" | bare

Every node keeps its position in the query, so errors (QueryError) can point at the bad part. Which filters
exist and what values they take is checked here too; turning the tree into SQL is app.core.search.sql.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.search.errors import NotAvailableError, QueryError

# Filters and what they are for; the values are checked in `_check_filter`.
FILTERS = {
    "place": "city, region or country (place:Kyoto)",
    "camera": "camera make or model (camera:canon)",
    "year": "year taken (year:2019 or year:2018..2020)",
    "date": "date taken (date:2019-06..2019-08, date:2019-06-03)",
    "album": 'photos in an album (album:"Summer 2019")',
    "event": "photos in an event, by id or title (event:12, event:Kyoto)",
    "has": "has:gps, has:place, has:faces, has:voice",
    "type": "file type (type:heic, type:jpeg, type:png, type:video)",
    "person": 'a named person (person:Alice, person:"Alice Smith")',
    "tag": 'a tag or keyword, with the tags under it (tag:kyoto, tag:"Places/Japan")',
    "rating": "star rating (rating:4, rating:>=4, rating:3..5, rating:0 for unrated)",
    "is": "is:favourite, is:rejected, is:rotated",
    "bbox": "taken inside a box of degrees (bbox:south,west,north,east; the map's clusters)",
}
HAS_VALUES = {"gps", "place", "faces", "voice"}
IS_VALUES = {"favourite": "favourite", "favorite": "favourite", "fav": "favourite", "rejected": "rejected",
             "reject": "rejected", "rotated": "rotated"}
RATING_PATTERN = re.compile(r"^(?:(>=|<=|>|<|=)?([0-5])|([0-5])?\.\.([0-5])?)$")
NOT_YET: dict[tuple[str, str | None], str] = {}  # filters the language knows before the feature exists

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Word:
    text: str
    position: int
    phrase: bool = False


@dataclass(frozen=True)
class Filter:
    name: str
    value: str
    position: int
    length: int


@dataclass(frozen=True)
class Not:
    child: object


@dataclass(frozen=True)
class And:
    children: tuple


@dataclass(frozen=True)
class Or:
    children: tuple


@dataclass(frozen=True)
class _Token:
    kind: str  # word | phrase | filter | lparen | rparen | or | minus
    text: str
    position: int
    length: int
    value: str = ""


_SPECIAL = set('()"')


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(_Token("lparen" if c == "(" else "rparen", c, i, 1))
            i += 1
        elif c == "-" and i + 1 < n and not query[i + 1].isspace() and (not tokens or query[i - 1].isspace() or query[i - 1] in "(-"):
            tokens.append(_Token("minus", c, i, 1))
            i += 1
        elif c == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError("this quote is never closed", query, i, n - i)
            tokens.append(_Token("phrase", query[i + 1 : end], i, end - i + 1))
            i = end + 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in _SPECIAL:
                if query[i] == ":" and i > start and query[start:i].isalpha():
                    break
                i += 1
            if i < n and query[i] == ":" and i > start:
                name = query[start:i]
                i += 1
                if i < n and query[i] == '"':
                    end = query.find('"', i + 1)
                    if end < 0:
                        raise QueryError("this quote is never closed", query, i, n - i)
                    value, i = query[i + 1 : end], end + 1
                else:
                    vstart = i
                    while i < n and not query[i].isspace() and query[i] not in "()":
                        i += 1
                    value = query[vstart:i]
                tokens.append(_Token("filter", name, start, i - start, value))
            else:
                text = query[start:i]
                tokens.append(_Token("or" if text == "OR" else "word", text, start, i - start))
    return tokens


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = _tokens(query)
        self.i = 0

    def error(self, message: str, token: _Token | None = None) -> QueryError:
        if token is None:
            return QueryError(message, self.query, max(0, len(self.query) - 1) if self.query else 0, 1)
        return QueryError(message, self.query, token.position, token.length)

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self):
        if not self.tokens:
            return And(())
        node = self.or_expr()
        extra = self.peek()
        if extra is not None:
            raise self.error("this closing parenthesis has no opening one", extra)
        return node

    def or_expr(self):
        parts = [self.and_expr()]
        while (t := self.peek()) is not None and t.kind == "or":
            self.take()
            if self.peek() is None or self.peek().kind in ("or", "rparen"):
                raise self.error("OR needs a term after it", t)
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self):
        parts = []
        while (t := self.peek()) is not None and t.kind not in ("or", "rparen"):
            parts.append(self.unary())
        if not parts:
            t = self.peek()
            raise self.error("OR needs a term before it" if t is not None and t.kind == "or" else
                             "empty parentheses", t)
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self):
        t = self.take()
        if t.kind == "minus":
            if self.peek() is None or self.peek().kind in ("or", "rparen"):
                raise self.error("- needs a term right after it (e.g. -camera:canon)", t)
            return Not(self.unary())
        if t.kind == "lparen":
            if self.peek() is not None and self.peek().kind == "rparen":
                raise self.error("empty parentheses", t)
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise self.error("this parenthesis is never closed", t)
            self.take()
            return node
        if t.kind == "word":
            return Word(t.text, t.position)
        if t.kind == "phrase":
            if not t.text.strip():
                raise self.error("empty quotes", t)
            return Word(t.text, t.position, phrase=True)
        if t.kind == "filter":
            return _check_filter(self.query, t)
        raise self.error("unexpected", t)


def _check_filter(query: str, t: _Token) -> Filter:
    name, value = t.text.lower(), t.value.strip()
    if name not in FILTERS:
        known = ", ".join(f"{f}:" for f in FILTERS)
        raise QueryError(f"unknown filter {t.text}: (filters are {known})", query, t.position, len(t.text) + 1)
    value_at = t.position + len(t.text) + 1
    if not value:
        raise QueryError(f"{name}: needs a value, e.g. {FILTERS[name].split('(')[-1].rstrip(')')}", query,
                         t.position, t.length)
    bad = lambda why: QueryError(why, query, value_at, t.length - len(t.text) - 1)  # noqa: E731
    if (name, None) in NOT_YET:
        raise NotAvailableError(NOT_YET[(name, None)], query, t.position, t.length)
    if name == "has":
        if (name, value.lower()) in NOT_YET:
            raise NotAvailableError(NOT_YET[(name, value.lower())], query, t.position, t.length)
        if value.lower() not in HAS_VALUES:
            raise bad(f"has:{value} is not a thing photos can have (has:gps, has:place, has:faces, has:voice)")
    if name == "is" and value.lower() not in IS_VALUES:
        raise bad(f"is:{value} is not known (is:favourite, is:rejected, is:rotated)")
    if name == "rating" and (not RATING_PATTERN.match(value.replace(" ", "")) or value.strip() == ".."):
        raise bad(f"rating: takes 0 to 5 stars (rating:4, rating:>=4, rating:3..5), not {value!r}")
    if name in ("year", "date"):
        low, _, high = value.partition("..")
        pattern = re.compile(r"^\d{4}$") if name == "year" else _DATE
        if not any((low, high)) or any(part and not pattern.match(part) for part in (low, high)):
            raise bad(f"{name}: takes {FILTERS[name].split('(')[-1].rstrip(')')}, not {value!r}")
        if ".." in value and low and high and low > high:
            raise bad(f"this {name} range ends before it starts")
    if name == "bbox":
        from app.core.geo import Box

        try:
            Box.parse(value)
        except ValueError as exc:
            raise bad(f"bbox: {exc}, not {value!r}") from None
    return Filter(name, value, t.position, t.length)


def parse(query: str):
    """The query's tree (And/Or/Not/Word/Filter); raises QueryError (with the position) for a bad query."""
    return _Parser(query).parse()


def free_words(node) -> list[Word]:
    """The free words that must all hold (top-level AND, not negated): these may rank by smart search."""
    if isinstance(node, Word):
        return [node]
    if isinstance(node, And):
        return [c for c in node.children if isinstance(c, Word)]
    return []
