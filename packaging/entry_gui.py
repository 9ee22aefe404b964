"""Frozen entry point of the windowed app `Shoebox` (PyInstaller runs this as __main__).

On Linux the bundle's CLI `shoebox` is a symbolic link to this executable (one copy of the Python modules
instead of two): called by that name, it runs the CLI. That is also how the window starts its background
worker there (app.ui.background.worker_program).
"""

import os
import sys

# A windowed Windows/macOS bundle has no console: stdout/stderr are None, and any print or log line would raise.
if sys.stdout is None:
    sys.stdout = open(os.devnull, "w", encoding="utf-8")
if sys.stderr is None:
    sys.stderr = open(os.devnull, "w", encoding="utf-8")

CLI_NAMES = ("shoebox", "shoebox-cli")

if os.path.basename(sys.argv[0]) in CLI_NAMES:
    from app.cli import main
else:
    from app.__main__ import main

sys.exit(main())
