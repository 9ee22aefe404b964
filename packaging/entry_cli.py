"""Frozen entry point of the console command `shoebox` (PyInstaller runs this as __main__)."""

import sys

from app.cli import main

sys.exit(main())
