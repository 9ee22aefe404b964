"""Thread limits for BLAS or OpenMP around small computations, without rescanning the process's libraries.

threadpoolctl's `threadpool_limits` looks up every loaded shared library on each call (~1 ms on a quiet machine,
5-6 ms on the loaded 2-core VM, twice per hybrid query). One controller is kept, and made again only when it knows
no library of the wanted kind (one may have been loaded since, e.g. faiss's OpenMP).
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_controller = None


def limit_threads(n: int, user_api: str):
    """A context manager that runs its block with at most `n` threads of `user_api` ("blas" or "openmp")."""
    global _controller
    from threadpoolctl import ThreadpoolController

    with _lock:
        if _controller is None or not _controller.select(user_api=user_api).lib_controllers:
            _controller = ThreadpoolController()
        controller = _controller
    return controller.limit(limits=n, user_api=user_api)
