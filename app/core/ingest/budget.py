"""A byte budget for image decoding, shared by every worker thread of the process.

A decoded image can need hundreds of megabytes although its file is small (a 13,000 x 13,000 PNG compresses
to 1 MB). Each decode reserves its estimated size first: when the others hold too much it waits for them to
finish, and a decode that could never fit is refused instead of taking the machine's memory.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

MB = 1 << 20


class TooLargeToDecode(Exception):
    """A single decode needs more than the whole budget."""


class DecodeBudget:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._used = 0

    @property
    def used(self) -> int:
        with self._cond:
            return self._used

    @contextmanager
    def reserve(self, nbytes: int, capacity: int) -> Iterator[None]:
        """Hold `nbytes` of a budget of `capacity` bytes while the block runs (waits for room; refuses what
        can never fit). The capacity comes from the caller's settings, so it is checked on each call."""
        nbytes = max(0, int(nbytes))
        if nbytes > capacity:
            raise TooLargeToDecode(f"needs about {_mb(nbytes)} MB, the limit is {_mb(capacity)} MB")
        with self._cond:
            # Alone, a decode always runs (even if a lower capacity was set meanwhile): nothing to wait for.
            self._cond.wait_for(lambda: self._used == 0 or self._used + nbytes <= capacity)
            self._used += nbytes
        try:
            yield
        finally:
            with self._cond:
                self._used -= nbytes
                self._cond.notify_all()


def _mb(nbytes: int) -> int:
    return -(-nbytes // MB)


# The one budget of this process: workers of every open library decode against it.
DECODE_BUDGET = DecodeBudget()
