"""A panel's write to the library on the window's reader thread (the caption and voice-note panels).

The panel counts the write in `busy` while it runs (tests and the panel's own buttons wait on it), says why
nothing happens in a read-only library, reports a failure through the message bridge, and reads itself again
afterwards. The panel provides `library`, `reader`, `messages`, `busy` and `refresh()`.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

_serial = itertools.count(1)


def write_on_reader(panel, key: str, job: Callable[[Any], Any], *, read_only: str, failure: str,
                    after: Callable[[Any], None] | None = None) -> bool:
    """Run `job(library)` on the reader thread; True when it is on its way. `failure` is formatted with the
    error; `after(result)` runs on the GUI thread when it succeeded for the library still open."""
    library = panel.library
    if library is None:
        return False
    if library.read_only:
        panel.messages.warning(read_only, key=key)
        return False
    panel.busy += 1

    def done(result, error) -> None:
        panel.busy -= 1
        if library is not panel.library:
            return
        if error is not None:
            panel.messages.error(failure.format(error=error), error, key=key)
        elif after is not None:
            after(result)
        panel.refresh()

    panel.reader.read(f"{key}-write-{next(_serial)}", lambda: job(library), done)
    return True
