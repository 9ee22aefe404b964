"""Application start-up: parse arguments, open the library, show the main window."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="shoebox-gui")
    parser.add_argument("--library", metavar="DIR")
    args, qt_args = parser.parse_known_args(argv[1:])
    app = QApplication([argv[0], *qt_args])
    app.setApplicationName("Shoebox")
    window = QMainWindow()
    window.setWindowTitle("Shoebox")
    window.setCentralWidget(QLabel("Shoebox: the library view arrives with the desktop app issue."))
    window.resize(1000, 700)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(run(sys.argv))
