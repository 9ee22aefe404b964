"""Handing a photo to the rest of the desktop: show it in the file manager (selected where the platform allows),
open it with the default application, copy the image to the clipboard."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, QProcess, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage

log = logging.getLogger(__name__)


def _start(program: str, args: list[str]) -> bool:
    """Start a program detached (tests replace this)."""
    started = QProcess.startDetached(program, args)
    return bool(started[0] if isinstance(started, tuple) else started)


def _open_url(url: QUrl) -> bool:
    """Open a URL with the desktop's default handler (tests replace this)."""
    return QDesktopServices.openUrl(url)


def _show_items_dbus(path: str) -> bool:
    """freedesktop's FileManager1.ShowItems (Nautilus, Dolphin, Nemo, Caja, Thunar...): opens the folder with
    the file selected. False when no file manager answers."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusMessage
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    face = QDBusInterface("org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                          "org.freedesktop.FileManager1", bus)
    if not face.isValid():
        return False
    reply = face.call("ShowItems", [QUrl.fromLocalFile(path).toString()], "")
    return reply.type() != QDBusMessage.MessageType.ErrorMessage


def show_in_file_manager(path: str) -> bool:
    """Explorer and Finder select the file; on Linux the freedesktop call does, else the folder opens."""
    native = str(Path(path))
    if sys.platform == "win32":
        return _start("explorer.exe", [f"/select,{native}"])
    if sys.platform == "darwin":
        return _start("open", ["-R", native])
    if _show_items_dbus(native):
        return True
    return _open_url(QUrl.fromLocalFile(str(Path(native).parent)))


def open_with_default_app(path: str) -> bool:
    return _open_url(QUrl.fromLocalFile(str(Path(path))))


def copy_image(image: QImage, path: str) -> None:
    """The picture itself (paste into a document or chat) and the file (paste into a file manager)."""
    data = QMimeData()
    if not image.isNull():
        data.setImageData(image)
    data.setUrls([QUrl.fromLocalFile(path)])
    QGuiApplication.clipboard().setMimeData(data)


# Platforms whose clipboard is a process-wide static in Qt rather than part of the application object.
_STATIC_CLIPBOARD_PLATFORMS = ("offscreen", "minimal")


def release_clipboard() -> None:
    """Drop the data this process put on the clipboard while Python still runs, where Qt would otherwise keep it.

    copy_image's QMimeData is made in Python. On the offscreen and minimal platforms (tests, screenshots, headless
    runs) Qt keeps clipboard data in a static that is destroyed after Python has shut down, and deleting a
    Python-made object then crashes the process at exit (PySide6 6.11). Desktop platforms own their clipboard
    through the application object, which goes before Python does, so their clipboard is left alone."""
    if QGuiApplication.platformName() in _STATIC_CLIPBOARD_PLATFORMS:
        QGuiApplication.clipboard().clear()
