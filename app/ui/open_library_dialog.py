"""File → Open Library…: a library folder and, for a library whose rows live on a PostgreSQL server, the
database's URL (empty: the SQLite file in the folder, as always). Libraries opened lately are one click away.

For a PostgreSQL library the folder keeps this machine's own files (thumbnails, indexes, logs); left empty, a
per-user folder of that database's own is used (Library.open). Passwords are better kept in libpq's ~/.pgpass:
the window remembers the URL without one.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from app.core.db.postgres import is_postgres_url


class OpenLibraryDialog(QDialog):
    chosen = Signal(str, str)  # folder, PostgreSQL URL ("" for SQLite in the folder)

    def __init__(self, settings, start_dir: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Open Library"))
        self.start_dir = start_dir
        self.recent = QComboBox()
        self.recent.addItem(self.tr("Recent libraries…"), None)
        for folder, database in settings.recent_libraries():
            self.recent.addItem(f"{Path(folder).name} — {database}" if database else folder, (folder, database))
        self.recent.setEnabled(self.recent.count() > 1)
        self.recent.activated.connect(self._use_recent)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText(self.tr("the library folder"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.database = QLineEdit()
        self.database.setPlaceholderText(self.tr("empty: SQLite in the folder; or postgresql://user@host/db"))
        self.database.setToolTip(self.tr("A PostgreSQL URL keeps the library's rows on that server, shared with "
                                         "other computers; the folder keeps this computer's thumbnails and "
                                         "indexes. Keep passwords in ~/.pgpass."))
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        form.addRow(self.tr("Folder:"), folder_row)
        form.addRow(self.tr("Database:"), self.database)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.recent)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    def _use_recent(self, index: int) -> None:
        entry = self.recent.itemData(index)
        if entry:
            folder, database = entry
            self.folder.setText(folder)
            self.database.setText(database or "")

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Library folder"), self.folder.text() or self.start_dir)
        if folder:
            self.folder.setText(folder)

    def problem(self) -> str | None:
        """Why the fields cannot open a library (None: they can)."""
        folder, database = self.folder.text().strip(), self.database.text().strip()
        if database and not is_postgres_url(database):
            return self.tr("The database must be a PostgreSQL URL such as postgresql://user@host/db, or empty "
                           "for SQLite in the folder.")
        if not folder and not database:
            return self.tr("Choose a library folder.")
        return None

    def accept(self) -> None:
        problem = self.problem()
        if problem is not None:
            self.error.setText(problem)
            self.error.show()
            return
        super().accept()
        self.chosen.emit(self.folder.text().strip(), self.database.text().strip())
