"""Give freed memory back to the operating system after a big model is dropped.

glibc keeps freed heap memory in the process for reuse; after a 600 MB checkpoint's tensors are freed, the
process still shows them as resident, and the next step (exporting, quantising) adds its own on top. Returning
them between the steps is what keeps `models import` at one copy of the weights at a time (issue 16).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

_libc = None


def give_back_memory() -> None:
    """Collect garbage, then ask the C allocator to return free pages (glibc's malloc_trim; a no-op elsewhere)."""
    global _libc
    gc.collect()
    if not sys.platform.startswith("linux"):
        return
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
            _libc = False
    if _libc:
        _libc.malloc_trim(0)
