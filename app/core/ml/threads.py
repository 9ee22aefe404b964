"""Thread limits for BLAS or OpenMP around small computations, without rescanning the process's libraries.

threadpoolctl's `threadpool_limits` looks up every loaded shared library on each call (~1 ms on a quiet machine,
5-6 ms on the loaded 2-core VM, twice per hybrid query). One controller is kept and made again when Python
modules were imported since (an extension module such as faiss or torch may have brought its own BLAS or OpenMP).
"""

from __future__ import annotations

import sys
import threading

_lock = threading.Lock()
_controller = None
_modules = 0  # len(sys.modules) when the controller was made


def limit_threads(n: int, user_api: str):
    """A context manager that runs its block with at most `n` threads of `user_api` ("blas" or "openmp")."""
    global _controller, _modules
    from threadpoolctl import ThreadpoolController

    with _lock:
        if _controller is None or len(sys.modules) != _modules:
            _controller, _modules = ThreadpoolController(), len(sys.modules)
        controller = _controller
    return controller.limit(limits=n, user_api=user_api)
