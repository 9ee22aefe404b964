"""Settings (Edit > Settings…, the application menu's Preferences on macOS): theme applied at once, thumbnail size,
slideshow interval, which library is open, the smart-search model set-up, and where the logs are.

Every change takes effect immediately (no Apply button), as on macOS and GNOME; the dialog only shows and
changes what the window already has.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QPushButton,
                               QSizePolicy, QSlider, QSpinBox, QVBoxLayout, QApplication)

from app.ui import desktop
from app.ui.grid_view import MAX_SIZE, MIN_SIZE
from app.ui.palette import THEMES, apply_theme


def _tr(text: str) -> str:
    return QCoreApplication.translate("SettingsDialog", text)


def _path_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    policy = label.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    label.setSizePolicy(policy)
    label.setMinimumWidth(280)
    return label


class SettingsDialog(QDialog):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.setWindowTitle(_tr("Settings"))
        self.setMinimumWidth(520)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.theme = QComboBox()
        names = {"system": _tr("Same as the system"), "light": _tr("Light"), "dark": _tr("Dark")}
        for theme in THEMES:
            self.theme.addItem(names[theme], theme)
        self.theme.setCurrentIndex(THEMES.index(window.settings.theme))
        self.theme.currentIndexChanged.connect(self._theme_changed)
        form.addRow(_tr("Theme:"), self.theme)

        self.thumbnails = QSlider(Qt.Orientation.Horizontal)
        self.thumbnails.setRange(MIN_SIZE, MAX_SIZE)
        self.thumbnails.setSingleStep(16)
        self.thumbnails.setValue(window.grid_view.thumbnail_size)
        self.thumbnail_px = QLabel()
        self.thumbnails.valueChanged.connect(self._thumbnails_changed)
        row = QHBoxLayout()
        row.addWidget(self.thumbnails, 1)
        row.addWidget(self.thumbnail_px)
        form.addRow(_tr("Thumbnail size:"), row)
        self._thumbnails_changed(self.thumbnails.value())

        self.slideshow = QSpinBox()
        self.slideshow.setRange(1, 60)
        self.slideshow.setSuffix(_tr(" s"))
        self.slideshow.setValue(window.settings.slideshow_seconds)
        self.slideshow.valueChanged.connect(self._slideshow_changed)
        form.addRow(_tr("Slideshow interval:"), self.slideshow)

        library = window.library
        self.library_path = _path_label(str(library.root) if library is not None else _tr("No library open"))
        open_other = QPushButton(_tr("Open Another…"))
        open_other.clicked.connect(lambda: (self.accept(), window.choose_library()))
        show_library = QPushButton(_tr("Show"))
        show_library.setEnabled(library is not None)
        show_library.clicked.connect(lambda: library is not None and desktop.open_with_default_app(str(library.root)))
        row = QHBoxLayout()
        row.addWidget(self.library_path, 1)
        row.addWidget(show_library)
        row.addWidget(open_other)
        form.addRow(_tr("Library:"), row)

        self.models = QPushButton(_tr("Set Up Smart Search Model…"))
        self.models.setEnabled(library is not None)
        self.models.clicked.connect(self._models)
        form.addRow(_tr("Models:"), self.models)

        from app.ui.face_model_field import FaceModelField

        self.face_model = FaceModelField(window)
        form.addRow(_tr("Face model:"), self.face_model)

        logs = self.log_folder()
        self.logs = _path_label(str(logs) if logs is not None else _tr("No log is being written"))
        show_logs = QPushButton(_tr("Show"))
        show_logs.setEnabled(logs is not None)
        show_logs.clicked.connect(lambda: logs is not None and desktop.open_with_default_app(str(logs)))
        row = QHBoxLayout()
        row.addWidget(self.logs, 1)
        row.addWidget(show_logs)
        form.addRow(_tr("Logs:"), row)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def log_folder(self) -> Path | None:
        from app.core.logs import active_log_file

        active = active_log_file()
        if active is not None:
            return active.parent
        library = self.window.library
        return library.layout.logs if library is not None else None

    def _theme_changed(self, index: int) -> None:
        theme = self.theme.itemData(index)
        self.window.settings.theme = theme
        apply_theme(QApplication.instance(), theme)

    def _thumbnails_changed(self, px: int) -> None:
        self.thumbnail_px.setText(f"{px} px")
        self.window.grid_view.set_thumbnail_size(px)

    def _slideshow_changed(self, seconds: int) -> None:
        self.window.settings.slideshow_seconds = seconds
        self.window.viewer.slideshow.setInterval(seconds * 1000)

    def _models(self) -> None:
        self.accept()
        self.window.model_setup.ask()
