"""The first start: one small dialog that asks where the library lives and which folders to bring in (the OS's
Pictures folder by default), then the window opens that library and imports them with live progress. Later
starts open the last library straight away."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from app.core.paths import LibraryLayout, default_library_dir


def is_first_run(settings, library_arg: str | None) -> bool:
    """Nobody chose a library yet: none given, none remembered, and the default one does not exist."""
    if library_arg or settings.last_library:
        return False
    return not LibraryLayout(default_library_dir()).database.exists()


def pictures_folder() -> str | None:
    path = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return path if path and Path(path).is_dir() else None


class FirstRunDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Welcome to Shoebox"))
        intro = QLabel(self.tr(
            "<b>Welcome to Shoebox.</b><br>Your photos stay where they are and nothing leaves this computer. "
            "Shoebox keeps its library (thumbnails, names, albums) in one folder, and watches the folders you "
            "add, so new photos simply appear."))
        intro.setWordWrap(True)

        self.library_edit = QLineEdit(str(default_library_dir()))
        browse = QPushButton(self.tr("Change…"))
        browse.clicked.connect(self._choose_library)
        library_row = QHBoxLayout()
        library_row.addWidget(self.library_edit, 1)
        library_row.addWidget(browse)

        self.folder_list = QListWidget()
        self.folder_list.setMinimumHeight(90)
        pictures = pictures_folder()
        if pictures:
            self._add_folder(pictures)
        add = QPushButton(self.tr("Add Folder…"))
        add.clicked.connect(self._choose_folder)
        remove = QPushButton(self.tr("Remove"))
        remove.clicked.connect(lambda: [self.folder_list.takeItem(self.folder_list.row(i))
                                        for i in self.folder_list.selectedItems()])
        folder_buttons = QHBoxLayout()
        folder_buttons.addWidget(add)
        folder_buttons.addWidget(remove)
        folder_buttons.addStretch(1)

        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton(self.tr("Start"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.tr("Not Now"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(8)
        layout.addWidget(QLabel(self.tr("Library folder:")))
        layout.addLayout(library_row)
        layout.addSpacing(8)
        layout.addWidget(QLabel(self.tr("Photos to add (you can add more later):")))
        layout.addWidget(self.folder_list)
        layout.addLayout(folder_buttons)
        layout.addWidget(buttons)
        self.resize(560, 360)

    @property
    def library_path(self) -> str:
        return self.library_edit.text().strip() or str(default_library_dir())

    @property
    def folders(self) -> list[str]:
        return [self.folder_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.folder_list.count())]

    def _add_folder(self, path: str) -> None:
        if path not in self.folders:
            item = QListWidgetItem(path)
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.folder_list.addItem(item)

    def _choose_library(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Library Folder"), str(Path(self.library_path).parent))
        if path:
            self.library_edit.setText(str(Path(path) / "Shoebox Library") if any(Path(path).iterdir()) else path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Add Folder"), pictures_folder() or str(Path.home()))
        if path:
            self._add_folder(path)


def ask_first_run(parent=None) -> tuple[str, list[str]] | None:
    """(library folder, folders to import) from the dialog; None when the user chose "Not Now"."""
    dialog = FirstRunDialog(parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.library_path, dialog.folders
