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


def multimedia_check() -> int:
    """`SHOEBOX_CHECK_MULTIMEDIA=1 Shoebox`: print as JSON what QtMultimedia's FFmpeg backend decodes. Only a
    loaded media plugin lists anything, so packaging/smoke_test.py uses it to prove QtMultimedia,
    QtMultimediaWidgets and the plugin are in the bundle (voice notes and video clips need them)."""
    import json

    from PySide6.QtCore import QCoreApplication
    from PySide6.QtMultimedia import QMediaFormat
    from PySide6.QtMultimediaWidgets import QVideoWidget  # noqa: F401 - the module is in the bundle

    app = QCoreApplication(sys.argv[:1])  # noqa: F841 - the media plugin needs an application object
    decode = QMediaFormat.ConversionMode.Decode
    fmt = QMediaFormat()
    print(json.dumps({"audio": [c.name for c in fmt.supportedAudioCodecs(decode)],
                      "video": [c.name for c in fmt.supportedVideoCodecs(decode)],
                      "files": [f.name for f in fmt.supportedFileFormats(decode)]}))
    return 0


if os.environ.get("SHOEBOX_CHECK_MULTIMEDIA"):
    main = multimedia_check
elif os.path.basename(sys.argv[0]) in CLI_NAMES:
    from app.cli import main
else:
    from app.__main__ import main

sys.exit(main())
