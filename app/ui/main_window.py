"""The main window: wires the sidebar, grid, viewer, duplicates, search, imports and tasks to one open library.

It owns no logic of its own beyond "what is shown where": each part lives in its own module and talks to the
core through the library's services and signals (the window never opens a database session).
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui import format as fmt
from app.ui.duplicates_view import DuplicatesView
from app.ui.grid_model import PhotoGridModel
from app.ui.grid_view import MAX_SIZE, MIN_SIZE, PhotoGridView
from app.ui.images import ImageLoader
from app.ui.import_controller import ImportController, ImportProgress, local_paths
from app.ui.info_panel import InfoPanel
from app.ui.message_bar import MessageArea
from app.ui.model_setup import ModelSetup
from app.ui.search_controller import SearchController
from app.ui.settings import AppSettings
from app.ui.sidebar import Sidebar
from app.ui.task_panel import TaskPanel
from app.ui.viewer import ViewerPage

log = logging.getLogger(__name__)

# Grid refreshes while an import adds photos: often enough to feel live, rarely enough to stay cheap at 100k.
LIVE_REFRESH_MS = 1000


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings | None = None, *, remember: bool = True):
        super().__init__()
        self.settings = settings or AppSettings()
        self.remember = remember
        self.library = None
        self.mode: tuple[str, object] = ("library", None)
        self.setWindowTitle("Shoebox")
        self.setAcceptDrops(True)
        self._failed_tasks: list[str] = []

        self.loader = ImageLoader(threads=2, parent=self)
        self.grid_model: PhotoGridModel | None = None
        self.grid_view = PhotoGridView()
        self.messages = MessageArea()
        self.sidebar = Sidebar()
        self.viewer: ViewerPage | None = None
        self.duplicates_view = DuplicatesView(self.loader)
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.grid_page = QWidget()
        grid_layout = QVBoxLayout(self.grid_page)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_layout.addWidget(self.empty_label)
        grid_layout.addWidget(self.grid_view, 1)
        self.stack.addWidget(self.grid_page)
        self.stack.addWidget(self.duplicates_view)

        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(0)
        content_layout.addWidget(self.messages)
        content_layout.addWidget(self.stack, 1)
        splitter = QSplitter()
        splitter.addWidget(self.sidebar)
        splitter.addWidget(content)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 1000])
        self.setCentralWidget(splitter)

        self.info_panel = InfoPanel()
        self.info_dock = self._dock("Info", self.info_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.task_panel = TaskPanel()
        self.task_dock = self._dock("Tasks", self.task_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.task_dock.hide()

        self.import_progress = ImportProgress()
        self.imports = ImportController(self.import_progress, self)
        self.search = SearchController(self)
        self.model_setup = ModelSetup(self)
        self._build_toolbar()
        self._build_status_bar()
        self._build_menus()
        self._connect()
        size = self.settings.thumbnail_size
        if size:
            self.grid_view.set_thumbnail_size(size)
        self._live_refresh = QTimer(self, singleShot=True, interval=LIVE_REFRESH_MS, timeout=self.refresh)
        self.resize(1280, 820)
        geometry, state = self.settings.window_state() if remember else (None, None)
        if geometry:
            self.restoreGeometry(geometry)
        if state:
            self.restoreState(state)

    # -- construction -------------------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area):
        from PySide6.QtWidgets import QDockWidget

        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title}Dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_toolbar(self) -> None:
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("MainToolbar")
        toolbar.setMovable(False)
        self.import_action = QAction("Import Folder…", self, shortcut=QKeySequence("Ctrl+Shift+I"),
                                     triggered=self.choose_import_folder)
        self.import_action.setToolTip("Import a folder of photos (or drop folders and files on the window)")
        toolbar.addAction(self.import_action)
        toolbar.addSeparator()
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search photos…  (e.g. beach at sunset)")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMaximumWidth(420)
        self.search_box.setMinimumWidth(260)
        toolbar.addWidget(self.search_box)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.count_label = QLabel()
        self.search_status = QLabel()
        self.tasks_button = QToolButton(text="No background tasks", autoRaise=True)
        self.tasks_button.setToolTip("Show the task panel (Ctrl+T)")
        self.tasks_button.clicked.connect(lambda: self.task_dock.setVisible(not self.task_dock.isVisible()))
        self.zoom_slider = QSlider(Qt.Orientation.Horizontal)
        self.zoom_slider.setRange(MIN_SIZE, MAX_SIZE)
        self.zoom_slider.setSingleStep(16)
        self.zoom_slider.setMaximumWidth(140)
        self.zoom_slider.setToolTip("Thumbnail size (Ctrl + / Ctrl −)")
        self.zoom_slider.setValue(self.grid_view.thumbnail_size)
        bar.addWidget(self.count_label)
        bar.addWidget(self.search_status)
        bar.addPermanentWidget(self.import_progress)
        bar.addPermanentWidget(self.tasks_button)
        bar.addPermanentWidget(self.zoom_slider)

    def _build_menus(self) -> None:
        def action(menu: QMenu, text: str, slot, shortcut=None) -> QAction:
            act = menu.addAction(text)
            act.triggered.connect(slot)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            return act

        file_menu = self.menuBar().addMenu("&File")
        action(file_menu, "&Open Library…", self.choose_library, QKeySequence.StandardKey.Open)
        action(file_menu, "&New Library…", self.choose_new_library, QKeySequence.StandardKey.New)
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        action(file_menu, "Import &Files…", self.choose_import_files)
        file_menu.addSeparator()
        action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit_menu = self.menuBar().addMenu("&Edit")
        action(edit_menu, "Select &All", self._select_all, QKeySequence.StandardKey.SelectAll)
        action(edit_menu, "&Find", self._focus_search, QKeySequence.StandardKey.Find)

        view_menu = self.menuBar().addMenu("&View")
        action(view_menu, "&Library", self.show_library, "Ctrl+1")
        action(view_menu, "&Duplicates", self.show_duplicates, "Ctrl+2")
        view_menu.addSeparator()
        self.zoom_in_action = action(view_menu, "Zoom &In", self.grid_view.zoom_in, QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = action(view_menu, "Zoom &Out", self.grid_view.zoom_out,
                                      QKeySequence.StandardKey.ZoomOut)
        view_menu.addSeparator()
        info = self.info_dock.toggleViewAction()
        info.setShortcut(QKeySequence("Ctrl+I"))
        view_menu.addAction(info)
        tasks = self.task_dock.toggleViewAction()
        tasks.setShortcut(QKeySequence("Ctrl+T"))
        view_menu.addAction(tasks)
        action(view_menu, "&Full Screen", self._toggle_full_screen, QKeySequence.StandardKey.FullScreen)

        photo_menu = self.menuBar().addMenu("&Photo")
        action(photo_menu, "&Open", self._open_current).setShortcutVisibleInContextMenu(True)
        self.more_like_action = action(photo_menu, "&More Like This", self._more_like_current, "Ctrl+L")
        action(photo_menu, "&Copy Path", self._copy_current_path, "Ctrl+Shift+C")

        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "&About Shoebox", self._about)

    def _connect(self) -> None:
        self.sidebar.navigate.connect(self._navigate)
        self.grid_view.open_requested.connect(self.open_viewer)
        self.grid_view.zoom_changed.connect(self._on_zoom)
        self.grid_view.customContextMenuRequested.connect(self._context_menu)
        self.zoom_slider.valueChanged.connect(self.grid_view.set_thumbnail_size)
        self.search_box.textChanged.connect(self._on_search_text)
        self.search_box.returnPressed.connect(self.search.run_now)
        self.search.results.connect(self.show_search_results)
        self.search.cleared.connect(self._on_search_cleared)
        self.search.message.connect(lambda text, level, details, key: self.show_message(text, level, details, key))
        self.search.status_text.connect(self.search_status.setText)
        self.search.model_missing.connect(self._offer_model_setup)
        self.model_setup.message.connect(lambda text, level, details, key: self.show_message(text, level, details, key))
        self.model_setup.installed.connect(self._on_model_installed)
        self.imports.photos_changed.connect(self._schedule_refresh)
        self.imports.finished.connect(lambda _gid: self.refresh())
        self.imports.message.connect(self._import_message)
        self.task_panel.message.connect(lambda text, level: self.show_message(text, level, key="tasks"))
        self.duplicates_view.kept.connect(self._on_kept)
        self.duplicates_view.message.connect(lambda text, level, details: self.show_message(text, level, details))

    # -- library ------------------------------------------------------------------------------------------
    def open_library(self, path: str | Path) -> bool:
        """Close the current library (its tasks stop and resume next time) and open another."""
        from app.core.library import Library, LibraryError

        try:
            library = Library.open(path)
        except LibraryError as exc:
            self.show_message(str(exc), "error", traceback.format_exc(), key="library")
            return False
        self.close_library()
        self.library = library
        if self.remember:
            self.settings.last_library = str(library.root)
        self.setWindowTitle(f"Shoebox — {library.root.name}")
        self.grid_model = PhotoGridModel(library.photos, self.loader, self)
        self.grid_view.setModel(self.grid_model)
        self.grid_view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.grid_view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._build_viewer()
        self.imports.set_library(library)
        self.search.set_library(library)
        self.model_setup.set_library(library)
        self.duplicates_view.set_library(library)
        self.show_library()
        QTimer.singleShot(0, self._update_sidebar)  # three counting queries: after the grid's first paint
        # The task engine loads every handler module (imaging libraries): start it after the first paint.
        QTimer.singleShot(200, self._start_engine)
        return True

    def close_library(self) -> None:
        if self.library is None:
            return
        self.loader.clear()
        self.imports.set_library(None)
        self.search.set_library(None)
        self.model_setup.set_library(None)
        self.task_panel.set_engine(None)
        self.search.worker.wait(5000)
        self.model_setup.worker.wait(5000)
        if self.grid_model is not None:
            self.grid_model.wait()
        library, self.library = self.library, None
        library.close()

    def _start_engine(self) -> None:
        library = self.library
        if library is None:
            return
        if library.read_only:  # browsing and searching work; imports and background analysis would write
            self.show_message(f"{library.read_only_reason}: this library is open read-only, for browsing and "
                              "searching only.", "info", key="library")
            return
        try:
            engine = library.tasks
        except Exception as exc:  # noqa: BLE001 - the app still browses photos without background work
            self.show_message(f"Background tasks cannot run: {exc}", "error", traceback.format_exc(), key="engine")
            return
        engine.group_progress.connect(self.imports.on_group_progress)
        engine.queue_changed.connect(self._on_queue_changed)
        engine.task_failed.connect(self._on_task_failed)
        self.task_panel.set_engine(engine)
        engine.start()
        self._on_queue_changed(engine.counts())
        # Photos without vectors for the active model (a new model, a run cut short) are analysed in the
        # background; off the GUI thread, since it loads the search modules.
        self.search.worker.run(lambda: library.search.schedule_embedding(), self._on_embedding_scheduled)

    def _on_embedding_scheduled(self, _task_id, error) -> None:
        if error is not None:
            self.show_message(f"Smart-search analysis could not start: {error}", "warning",
                              "".join(traceback.format_exception(error)), key="embed")

    def _build_viewer(self) -> None:
        if self.viewer is not None:
            self.stack.removeWidget(self.viewer)
            self.viewer.deleteLater()
        self.viewer = ViewerPage(self.grid_model, self.loader)
        self.viewer.closed.connect(self.close_viewer)
        self.viewer.row_changed.connect(lambda row: self.grid_view.select_row(row))
        self.stack.addWidget(self.viewer)

    # -- what the grid shows ------------------------------------------------------------------------------
    def _navigate(self, kind: str, value) -> None:
        if kind == "library":
            self.show_library()
        elif kind == "month":
            self.show_library(scroll_to_row=value)
        elif kind == "folder":
            self.show_folder(value)
        elif kind == "duplicates":
            self.show_duplicates()
        elif kind == "search":
            self._focus_search()
            if not self.search.query:
                self.search.check_status()

    def show_library(self, scroll_to_row: int | None = None) -> None:
        if self.library is None:
            return
        if self.mode != ("library", None) or self.grid_model.rowCount() == 0:
            self.mode = ("library", None)
            self.grid_model.set_ids(self.library.photos.ordered_ids())
        self.sidebar.select("library")
        self.stack.setCurrentWidget(self.grid_page)
        self._update_count()
        if scroll_to_row is not None and scroll_to_row < self.grid_model.rowCount():
            self.grid_view.scroll_to_row(scroll_to_row)

    def show_folder(self, folder_id: int) -> None:
        self.mode = ("folder", folder_id)
        self.grid_model.set_ids(self.library.photos.ordered_ids(folder_id=folder_id))
        self.stack.setCurrentWidget(self.grid_page)
        self._update_count()

    def show_duplicates(self) -> None:
        if self.library is None:
            return
        self.sidebar.select("duplicates")
        self.stack.setCurrentWidget(self.duplicates_view)
        self.duplicates_view.refresh()

    def show_search_results(self, description: str, hits: list) -> None:
        self.mode = ("search", description)
        self.grid_model.set_ids([h.photo_id for h in hits], {h.photo_id: h.score for h in hits})
        self.sidebar.select("search")
        self.stack.setCurrentWidget(self.grid_page)
        self._update_count()

    def refresh(self) -> None:
        """Re-read the current list (library or folder) and the sidebar after photos changed."""
        if self.library is None or self.grid_model is None:
            return
        kind, value = self.mode
        self.loader.retry_failed()
        if kind == "library":
            self.grid_model.sync_ids(self.library.photos.ordered_ids())
        elif kind == "folder":
            self.grid_model.sync_ids(self.library.photos.ordered_ids(folder_id=value))
        self._update_sidebar()
        self._update_count()
        if self.stack.currentWidget() is self.duplicates_view:
            self.duplicates_view.refresh()

    def _schedule_refresh(self) -> None:
        if not self._live_refresh.isActive():
            self._live_refresh.start()

    def _update_sidebar(self) -> None:
        if self.library is None:
            return
        photos = self.library.photos
        self.sidebar.set_library_contents(photos.count(), photos.month_counts(), photos.folders())

    def _update_count(self) -> None:
        rows = self.grid_model.rowCount() if self.grid_model else 0
        kind, value = self.mode
        if kind == "search":
            self.count_label.setText(f"{fmt.count(rows, 'result')} for {value}")
        else:
            self.count_label.setText(fmt.count(rows, "photo"))
        empty = rows == 0 and self.stack.currentWidget() is self.grid_page
        self.empty_label.setVisible(empty)
        self.grid_view.setVisible(not empty)
        if empty:
            self.empty_label.setText(
                "No photos match." if kind == "search" else
                "<h2>No photos yet</h2><p>Drop folders or photos here, or use File → Import Folder…</p>")

    # -- viewer ---------------------------------------------------------------------------------------------
    def open_viewer(self, row: int) -> None:
        if self.viewer is None or not 0 <= row < self.grid_model.rowCount():
            return
        self.stack.setCurrentWidget(self.viewer)
        self.viewer.show_row(row)
        self.viewer.setFocus()

    def close_viewer(self, row: int) -> None:
        self.stack.setCurrentWidget(self.grid_page)
        if 0 <= row < self.grid_model.rowCount():
            self.grid_view.select_row(row)
        self.grid_view.setFocus()

    def _open_current(self) -> None:
        index = self.grid_view.currentIndex()
        if index.isValid():
            self.open_viewer(index.row())

    # -- imports ------------------------------------------------------------------------------------------
    def import_paths(self, paths: list[str]) -> int | None:
        if self.library is None:
            self.show_message("Open or create a library first (File → Open Library).", "warning")
            return None
        return self.imports.start(paths)

    def choose_import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import Folder")
        if folder:
            self.import_paths([folder])

    def choose_import_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import Photos", "",
                                                "Images (*.jpg *.jpeg *.png *.heic *.heif *.tif *.tiff *.webp);;All files (*)")
        if files:
            self.import_paths(files)

    def dragEnterEvent(self, event) -> None:
        if local_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = local_paths(event.mimeData().urls())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_paths(paths)

    def _import_message(self, text: str, level: str, details: str) -> None:
        action = ("Show tasks", self.task_dock.show) if level != "info" else None
        self.show_message(text, level, details or None, key="import", action=action)

    # -- duplicates ---------------------------------------------------------------------------------------
    def _on_kept(self, photo_id: int, hidden: list) -> None:
        def undo():
            self.library.importer.unhide(hidden)
            self.refresh()

        self.show_message(f"Kept one photo and hid {fmt.count(len(hidden), 'other')} (files stay on disk).",
                          "info", key="kept", action=("Undo", undo))
        self.refresh()

    # -- search -------------------------------------------------------------------------------------------
    def _offer_model_setup(self, text: str) -> None:
        """The search bar's 'no model' message, with the way out: download or locate one (same bar as a
        failed query's, so it shows once)."""
        self.show_message(text, "warning", key="search", action=("Set up smart search…", self.model_setup.ask))

    def _on_model_installed(self, _model_id: str) -> None:
        self.search.check_status()
        self.search.run_now()

    def _on_search_text(self, text: str) -> None:
        if text.strip() and self.search.query == "" and self.library is not None:
            self.search.check_status()  # first keystroke: say at once if there is no model
        self.search.set_query(text)

    def _on_search_cleared(self) -> None:
        self.search_status.setText("")
        if self.mode[0] == "search":
            self.mode = ("none", None)
            self.show_library()

    def _more_like_current(self) -> None:
        index = self.grid_view.currentIndex()
        if index.isValid():
            self._more_like(index.row())

    def _more_like(self, row: int) -> None:
        info = self.grid_model.info(row)
        if info is not None:
            self.search.more_like(info.id, Path(info.path).name if info.path else f"photo {info.id}")

    def _focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    # -- tasks and messages -------------------------------------------------------------------------------
    def _on_queue_changed(self, counts: dict) -> None:
        running, waiting = counts.get("running", 0), counts.get("pending", 0) + counts.get("failed", 0)
        dead = counts.get("dead", 0)
        parts = []
        if running:
            parts.append(f"{running:,} running")
        if waiting:
            parts.append(f"{waiting:,} waiting")
        if dead:
            parts.append(f"{dead:,} failed")
        self.tasks_button.setText("Tasks: " + ", ".join(parts) if parts else "No background tasks")

    def _on_task_failed(self, task_id: int, task_type: str, message: str) -> None:
        self._failed_tasks.append(f"#{task_id} {task_type}: {message}")
        count = len(self._failed_tasks)
        self.show_message(f"{fmt.count(count, 'background task')} failed; the task panel can retry them.", "warning",
                          "\n".join(self._failed_tasks[-200:]), key="task-failed",
                          action=("Show tasks", self.task_dock.show))

    def show_message(self, text: str, level: str = "info", details: str | None = None, key: str | None = None,
                     action=None) -> None:
        log.log(logging.WARNING if level != "info" else logging.INFO, "%s", text)
        self.messages.show_message(text, level, details=details, action=action, key=key)

    # -- small actions ------------------------------------------------------------------------------------
    def _on_zoom(self, px: int) -> None:
        self.zoom_slider.blockSignals(True)
        self.zoom_slider.setValue(px)
        self.zoom_slider.blockSignals(False)

    def _select_all(self) -> None:
        if self.stack.currentWidget() is self.grid_page:
            self.grid_view.selectAll()

    def _on_current_changed(self, current, _previous) -> None:
        self._on_selection_changed()

    def _on_selection_changed(self, *_args) -> None:
        selected = len(self.grid_view.selectionModel().selectedIndexes())
        index = self.grid_view.currentIndex()
        info = self.grid_model.info(index.row()) if index.isValid() else None
        self.info_panel.show_info(info, max(1, selected))

    def _context_menu(self, pos) -> None:
        index = self.grid_view.indexAt(pos)
        if not index.isValid():
            return
        if not self.grid_view.selectionModel().isSelected(index):
            self.grid_view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_viewer(index.row()))
        menu.addAction("More like this", lambda: self._more_like(index.row()))
        menu.addAction("Copy path", self._copy_current_path)
        menu.popup(self.grid_view.viewport().mapToGlobal(pos))

    def _copy_current_path(self) -> None:
        index = self.grid_view.currentIndex()
        info = self.grid_model.info(index.row()) if index.isValid() else None
        if info is not None:
            QGuiApplication.clipboard().setText(info.path)

    def _toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def choose_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open Library")
        if folder:
            self.open_library(folder)

    def choose_new_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "New Library: choose an empty folder")
        if not folder:
            return
        if any(Path(folder).iterdir()) and not (Path(folder) / "shoebox.db").exists():
            self.show_message(f"{folder} is not empty; choose an empty folder for a new library.", "warning",
                              key="library")
            return
        self.open_library(folder)

    def _about(self) -> None:
        from app import __version__

        QMessageBox.about(self, "About Shoebox",
                          f"<b>Shoebox {__version__}</b><p>A private photo manager: your photos stay on this "
                          "computer.</p>")

    def closeEvent(self, event) -> None:
        if self.remember:
            self.settings.save_window_state(self.saveGeometry(), self.saveState())
            self.settings.thumbnail_size = self.grid_view.thumbnail_size
            self.settings.sync()
        self.loader.shutdown()
        if self.viewer is not None:
            self.viewer.loader.shutdown()
        self.close_library()
        super().closeEvent(event)
