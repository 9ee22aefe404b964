"""Light and dark palettes that follow the system's colour scheme (Fusion style, so both look the same
everywhere)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

Role = QPalette.ColorRole


def dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        Role.Window: "#2b2b2e", Role.WindowText: "#e6e6e6", Role.Base: "#1f1f22", Role.AlternateBase: "#2f2f33",
        Role.ToolTipBase: "#3a3a3e", Role.ToolTipText: "#f0f0f0", Role.Text: "#e6e6e6", Role.Button: "#34343a",
        Role.ButtonText: "#e6e6e6", Role.BrightText: "#ff6060", Role.Highlight: "#3d7be0",
        Role.HighlightedText: "#ffffff", Role.Link: "#6ea8ff", Role.PlaceholderText: "#8a8a90", Role.Mid: "#3c3c42",
        Role.Dark: "#18181a", Role.Light: "#48484e",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a80"))
    return palette


def is_dark() -> bool:
    return QApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


THEMES = ("system", "light", "dark")
_theme = {"name": "system"}  # the user's choice (Settings), which the system's scheme changes must respect


def apply_theme(app: QApplication, theme: str) -> None:
    """"system" follows the system's colour scheme; "light" and "dark" stay whatever the system does."""
    _theme["name"] = theme if theme in THEMES else "system"
    force = {"light": False, "dark": True}.get(_theme["name"])
    apply_system_palette(app, force_dark=force)


def apply_system_palette(app: QApplication, *, force_dark: bool | None = None) -> None:
    """Dark when the system says so (or when forced, e.g. for screenshots), the style's light palette otherwise;
    re-applied when the system scheme changes."""
    dark = is_dark() if force_dark is None else force_dark
    app.setPalette(dark_palette() if dark else app.style().standardPalette())


def follow_system_palette(app: QApplication) -> None:
    app.setStyle("Fusion")
    apply_system_palette(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app, _theme["name"]))
