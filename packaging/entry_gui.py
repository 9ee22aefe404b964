"""Frozen entry point of the windowed app `Shoebox` (PyInstaller runs this as __main__)."""

import os
import sys

# A windowed Windows/macOS bundle has no console: stdout/stderr are None, and any print or log line would raise.
if sys.stdout is None:
    sys.stdout = open(os.devnull, "w", encoding="utf-8")
if sys.stderr is None:
    sys.stderr = open(os.devnull, "w", encoding="utf-8")

from app.__main__ import main  # noqa: E402

sys.exit(main())
