"""Errors of the query language, with the position of the bad part so that messages can point at it."""

from __future__ import annotations


class QueryError(Exception):
    """A query that cannot be run: a syntax error, an unknown filter, a bad value, or a filter not available yet.

    `position` and `length` mark the bad part of `query` (0-based characters)."""

    def __init__(self, message: str, query: str, position: int, length: int = 1):
        super().__init__(message)
        self.message = message
        self.query = query
        self.position = position
        self.length = max(1, length)

    def describe(self) -> str:
        """The message, the query, and a caret line under the bad part (for the CLI and the search box)."""
        return (f"{self.message} (at character {self.position + 1})\n  {self.query}\n"
                f"  {' ' * self.position}{'^' * self.length}")


class NotAvailableError(QueryError):
    """A filter of the language whose feature does not exist yet (has:voice)."""
