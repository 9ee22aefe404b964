"""Render resources/shoebox.svg into the icon files the bundles need: .png (Linux), .ico (Windows), .icns (macOS).

Run as a script (`python packaging/icons.py OUT_DIR`) so that Qt never loads inside the PyInstaller process.
Qt's own SVG renderer draws the pixels; Pillow writes the multi-size .ico and .icns containers.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

SVG = Path(__file__).resolve().parents[1] / "resources" / "shoebox.svg"
SIZES = (16, 32, 48, 64, 128, 256, 512, 1024)


def render(size: int) -> bytes:
    """PNG bytes of the icon at size x size pixels."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def make_icons(out: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QPainter needs one
    out.mkdir(parents=True, exist_ok=True)
    images = {size: Image.open(io.BytesIO(render(size))) for size in SIZES}
    images[256].save(out / "shoebox.png")
    images[256].save(out / "shoebox.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    images[1024].save(out / "shoebox.icns")


if __name__ == "__main__":
    make_icons(Path(sys.argv[1]))
