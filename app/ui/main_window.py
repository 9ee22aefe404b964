"""The main window: hosts the views (app/ui/views/), the photo browser, the message area, the docks and the
menus for one open library.

It holds no view's logic: each sidebar section is a `View` that brings its sidebar entry, page and actions. The
window wires them to the library, navigates between them (`Place`), shows what the message bridge says, and
keeps them live: a commit by anyone (this window's import, a CLI in another process) is noticed by
`LibraryWatcher` and refreshes what shows it, at most once a second; F5 forces it. The window never reads the
database on the GUI thread: every read goes through `Reader`. Background work (imports and what follows them)
runs in a worker process (`BackgroundWorker`), started whenever the queue has work waiting.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
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

from app.core.tasks.states import TaskState
from app.ui import format as fmt
from app.ui.backup_action import BackupAction
from app.ui.background import FAILED_TO_START, BackgroundWorker, task_engine
from app.ui.browser import PhotoBrowser
from app.ui.caption_panel import CaptionPanel
from app.ui.details_panel import DetailsPanel
from app.ui.edits_panel import EditsPanel
from app.ui.folder_watch import WatchedFolders
from app.ui.grid_view import MAX_SIZE, MIN_SIZE
from app.ui.images import ImageLoader
from app.ui.import_controller import ImportController, ImportProgress, local_paths
from app.ui.info_panel import InfoPanel
from app.ui.live import LibraryWatcher
from app.ui.message_bar import MessageArea
from app.ui.messages import ERROR, MessageBridge, UserMessage
from app.ui.organise_actions import OrganiseActions
from app.ui.place_field import PlaceField
from app.ui.reader import Reader
from app.ui.settings import AppSettings
from app.ui.sidebar import Sidebar
from app.ui.task_panel import TaskPanel
from app.ui.trash_action import TrashAction
from app.ui.voice_panel import VoicePanel
from app.ui.views import Mode, Place, View, ViewContext, default_views

log = logging.getLogger(__name__)

LIVE_REFRESH_MS = 1000  # refreshes caused by changes come at most this often: live, yet cheap at 100k photos
# While this window's own import runs, a refresh (re-reading 100k ids: ~200 ms on the reader thread, much of it
# holding the GIL the GUI thread also needs) comes less often; the progress bar shows it moving.
IMPORT_REFRESH_MS = 3000
# ... and the views' own reads (the sidebar's month and folder counts, ~100 ms of queries at 100k photos, which
# an import changes on every refresh) come this often; a refresh asked for (F5, an edit, the import's end)
# reads everything at once.
VIEWS_IMPORT_REFRESH_MS = 12_000
NARROW_WIDTH = 1000  # below this the sidebar and the info panel step aside so the grid stays usable
SIDEBAR_WIDTH = 220
INFO_WIDTH = 300  # room for a date with seconds and a camera name on one line
GRID_ROWS_KEPT = 2  # messages never squeeze the grid below this many rows


def pictures_dir() -> str:
    """Where file dialogs start: the user's Pictures folder (home when there is none)."""
    for location in (QStandardPaths.StandardLocation.PicturesLocation, QStandardPaths.StandardLocation.HomeLocation):
        path = QStandardPaths.writableLocation(location)
        if path and Path(path).is_dir():
            return path
    return str(Path.home())


class _Content(QWidget):
    resized = Signal()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.resized.emit()


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings | None = None, *, remember: bool = True):
        super().__init__()
        self.settings = settings or AppSettings()
        self.remember = remember
        self.library = None
        self.place = Place(Mode.LIBRARY)
        self.setWindowTitle("")  # the platform adds the application's name: "library — Shoebox"
        self.setAcceptDrops(True)
        self._failed_tasks: list[str] = []
        self._last_refresh = self._last_views_refresh = 0.0
        self._narrow = False
        self._engine_waits = False
        self._hidden_for_width: dict[str, bool] = {}

        self.bridge = MessageBridge(self)
        self.message_area = MessageArea()
        self.bridge.shown.connect(self.message_area.show_message)
        self.bridge.dismissed.connect(self.message_area.dismiss)
        self.reader = Reader(self)
        self.backups = BackupAction(self, self.bridge)
        self.loader = ImageLoader(threads=2, parent=self)
        self.loader.set_repair(self._repair_thumbnail)
        self.stack = QStackedWidget()
        self.browser = PhotoBrowser(self.stack, self.loader, self.reader, self.bridge, self)
        self.viewer.loader.set_repair(self._repair_thumbnail)
        self.context = ViewContext(self, self.bridge, self.reader, self.browser, self.loader, self.navigate,
                                   self.refresh, start_import=lambda paths: self.import_paths(paths))
        self.views: dict[Mode, View] = {view.mode: view for view in default_views(self.context)}
        self.sidebar = Sidebar()
        for view in self.views.values():
            self.sidebar.add_view(view)
            if view.page() is not None:
                self.stack.addWidget(view.page())

        self.content = _Content()
        content_layout = QVBoxLayout(self.content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(0)
        content_layout.addWidget(self.message_area)
        content_layout.addWidget(self.stack, 1)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.content)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, True)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([SIDEBAR_WIDTH, 1000])
        self.setCentralWidget(self.splitter)

        self.info_panel = InfoPanel()
        self.organise = OrganiseActions(self, self.browser, self.reader, self.bridge, self.refresh)
        self.organise.attach(self.grid_view, self.viewer)
        self._share_undo_key()
        self.edits_panel = EditsPanel(self.organise)
        self.info_panel.add_section(self.edits_panel)
        self.caption_panel = CaptionPanel(self.reader, self.bridge)
        self.info_panel.add_section(self.caption_panel)
        self.voice_panel = VoicePanel(self.reader, self.bridge)
        self.info_panel.add_section(self.voice_panel)
        self.details_panel = DetailsPanel(self.reader)
        self.info_panel.add_section(self.details_panel)
        self.info_dock = self._dock(self.tr("Info"), "InfoDock", self.info_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.task_panel = TaskPanel(self.reader, self.bridge)
        self.task_dock = self._dock(self.tr("Tasks"), "TasksDock", self.task_panel,
                                    Qt.DockWidgetArea.BottomDockWidgetArea)
        self.task_dock.hide()

        self.background = BackgroundWorker(self)
        self.tasks_engine = None  # the library's task engine once made (off the GUI thread); never started here
        self.import_progress = ImportProgress()
        self.imports = ImportController(self.import_progress, self.reader, self.bridge, self,
                                        show_tasks=self.task_dock.show, start_work=self._start_work,
                                        engine_of=task_engine)
        self.watcher = LibraryWatcher(self, reader=self.reader)
        self.folder_watch = WatchedFolders(self.imports, self.reader, self)
        self.views[Mode.FOLDER].folders_changed.connect(self.folder_watch.update)
        self._live_refresh = QTimer(self, singleShot=True, timeout=self.refresh_live)
        self._build_actions()
        self._build_toolbar()
        self._build_status_bar()
        self._build_menus()
        self._connect()
        self.viewer.slideshow.setInterval(self.settings.slideshow_seconds * 1000)
        size = self.settings.thumbnail_size
        if size:
            self.grid_view.set_thumbnail_size(size)
        self.resize(1280, 820)
        self.resizeDocks([self.info_dock], [INFO_WIDTH], Qt.Orientation.Horizontal)
        geometry, state = self.settings.window_state() if remember else (None, None)
        if geometry:
            self.restoreGeometry(geometry)
        if state:
            self.restoreState(state)

    # -- what others (tests, screenshots, benchmarks) reach for --------------------------------------------
    @property
    def grid_model(self):
        return self.browser.model

    @property
    def grid_view(self):
        return self.browser.grid_view

    @property
    def grid_page(self):
        return self.browser.grid_page

    @property
    def viewer(self):
        return self.browser.viewer

    @property
    def empty_label(self):
        return self.browser.empty_label

    @property
    def duplicates_view(self):
        return self.views[Mode.DUPLICATES].page()

    @property
    def search_view(self):
        return self.views[Mode.SEARCH]

    @property
    def search_box(self):
        return self.search_view.box

    @property
    def search(self):
        return self.search_view.controller

    @property
    def model_setup(self):
        return self.search_view.model_setup

    # -- construction -------------------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def _build_actions(self) -> None:
        self.import_action = self._action(self.tr("Import Folder…"), self.choose_import_folder, "Ctrl+Shift+I")
        self.import_action.setToolTip(self.tr("Import a folder of photos (or drop folders and files on the window)"))
        self.refresh_action = self._action(self.tr("&Refresh"), self.refresh, "F5")  # Ctrl/Cmd+R rotates
        self.sidebar_action = self._action(self.tr("&Sidebar"), self._toggle_sidebar, "F9")
        self.sidebar_action.setCheckable(True)
        self.sidebar_action.setChecked(True)
        self.open_action = self._action(self.tr("&Open"), lambda: self.browser.open_viewer())
        self.copy_path_action = self._action(self.tr("&Copy Path"), self._copy_current_path, "Ctrl+Shift+C")
        self.trash = TrashAction(self, self.bridge, self.reader, self.refresh)
        self.trash_action = self._action(self.tr("Move to &Trash…"),
                                         lambda: self.trash.move(self.browser.selected_ids()),
                                         QKeySequence.StandardKey.Delete)

    def _build_toolbar(self) -> None:
        toolbar = self.addToolBar(self.tr("Main"))
        toolbar.setObjectName("MainToolbar")
        toolbar.setMovable(False)
        toolbar.addAction(self.import_action)
        toolbar.addSeparator()
        for view in self.views.values():
            for widget in view.toolbar_widgets():
                toolbar.addWidget(widget)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.count_label = QLabel()
        self.tasks_button = QToolButton(text=self.tr("No background tasks"), autoRaise=True)
        self.tasks_button.setToolTip(self.tr("Show the task panel (Ctrl+T)"))
        self.tasks_button.clicked.connect(lambda: self.task_dock.setVisible(not self.task_dock.isVisible()))
        self.zoom_slider = QSlider(Qt.Orientation.Horizontal)
        self.zoom_slider.setRange(MIN_SIZE, MAX_SIZE)
        self.zoom_slider.setSingleStep(16)
        self.zoom_slider.setMaximumWidth(140)
        self.zoom_slider.setToolTip(self.tr("Thumbnail size (Ctrl + / Ctrl −)"))
        self.zoom_slider.setValue(self.grid_view.thumbnail_size)
        bar.addWidget(self.count_label)
        for view in self.views.values():
            for widget in view.status_widgets():
                bar.addWidget(widget)
        bar.addPermanentWidget(self.import_progress)
        bar.addPermanentWidget(self.tasks_button)
        bar.addPermanentWidget(self.zoom_slider)

    def _build_menus(self) -> None:
        by_menu: dict[str, list[QAction]] = {}
        for view in self.views.values():
            for menu, actions in view.menu_actions().items():
                by_menu.setdefault(menu, []).extend(actions)

        file_menu = self.menuBar().addMenu(self.tr("&File"))
        file_menu.addAction(self._action(self.tr("&Open Library…"), self.choose_library, QKeySequence.StandardKey.Open))
        file_menu.addAction(self._action(self.tr("&New Library…"), self.choose_new_library,
                                         QKeySequence.StandardKey.New))
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        file_menu.addAction(self._action(self.tr("Import &Files…"), self.choose_import_files))
        file_menu.addSeparator()
        if by_menu.get("File"):
            file_menu.addActions(by_menu["File"])
            file_menu.addSeparator()
        file_menu.addAction(self._action(self.tr("&Back Up Library…"),
                                         lambda: self.backups.choose_and_start(self.library)))
        file_menu.addSeparator()
        file_menu.addAction(self._action(self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit))

        edit_menu = self.menuBar().addMenu(self.tr("&Edit"))
        edit_menu.addAction(self.organise.undo)
        edit_menu.addSeparator()
        edit_menu.addAction(self._action(self.tr("Select &All"), self._select_all, QKeySequence.StandardKey.SelectAll))
        edit_menu.addActions(by_menu.get("Edit", []))
        edit_menu.addSeparator()
        self.settings_action = self._action(self.tr("Se&ttings…"), self.show_settings)
        self.settings_action.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
                                          or [QKeySequence("Ctrl+,")])
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)  # the application menu on macOS
        edit_menu.addAction(self.settings_action)

        view_menu = self.menuBar().addMenu(self.tr("&View"))
        for view in self.views.values():
            if view.shortcut and view.enabled:
                view_menu.addAction(self._action(view.title, lambda _=False, m=view.mode: self.navigate(Place(m)),
                                                 view.shortcut))
        view_menu.addActions(by_menu.get("View", []))
        view_menu.addAction(self.refresh_action)
        view_menu.addSeparator()
        self.zoom_in_action = self._action(self.tr("Zoom &In"), lambda: self._zoom(1), QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = self._action(self.tr("Zoom &Out"), lambda: self._zoom(-1),
                                            QKeySequence.StandardKey.ZoomOut)
        view_menu.addActions([self.zoom_in_action, self.zoom_out_action])
        view_menu.addSeparator()
        view_menu.addAction(self.sidebar_action)
        info = self.info_dock.toggleViewAction()
        info.setShortcut(QKeySequence("Ctrl+I"))
        view_menu.addAction(info)
        tasks = self.task_dock.toggleViewAction()
        tasks.setShortcut(QKeySequence("Ctrl+T"))
        view_menu.addAction(tasks)
        view_menu.addAction(self._action(self.tr("&Full Screen"), self._toggle_full_screen,
                                         QKeySequence.StandardKey.FullScreen))

        photo_menu = self.menuBar().addMenu(self.tr("&Photo"))
        self.photo_actions = [self.open_action, *by_menu.get("Photo", []), self.copy_path_action, self.trash_action]
        photo_menu.addActions(self.photo_actions)
        photo_menu.addSeparator()
        self.organise.add_to_menu(photo_menu)

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        help_menu.addAction(self._action(self.tr("&About Shoebox"), self._about))

    def _connect(self) -> None:
        self.sidebar.navigate.connect(self.navigate)
        self.browser.status.connect(self._on_browser_status)
        self.browser.arrived.connect(self._on_first_list)
        self.browser.current_changed.connect(self.info_panel.show_info)
        self.browser.current_changed.connect(self.edits_panel.show_info)
        self.browser.current_changed.connect(self.details_panel.show_info)
        self.browser.current_changed.connect(self.voice_panel.show_info)
        self.watcher.changed.connect(self.voice_panel.library_changed)
        self.browser.current_changed.connect(self.caption_panel.show_info)
        self.watcher.changed.connect(self.caption_panel.library_changed)
        self.place_field = PlaceField(self.info_panel, self.browser, self.reader, self)
        self.grid_view.zoom_changed.connect(self._on_zoom)
        self.grid_view.customContextMenuRequested.connect(self._context_menu)
        self.viewer.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.viewer.customContextMenuRequested.connect(self._viewer_context_menu)
        self.zoom_slider.valueChanged.connect(self.grid_view.set_thumbnail_size)
        self.imports.photos_changed.connect(self.schedule_refresh)
        self.imports.finished.connect(lambda _gid: self.refresh())
        self.watcher.changed.connect(self.schedule_refresh)
        self.watcher.changed.connect(self._follow_other_machines)
        self.content.resized.connect(self._fit_messages)
        self.background.crashed.connect(self._on_worker_crashed)
        self.background.finished.connect(lambda _code: self._read_counts())

    # -- library ------------------------------------------------------------------------------------------
    def open_library(self, path: str | Path, database: str | None = None) -> bool:
        """Close the current library (its tasks stop and resume next time) and open another (`database`: its
        PostgreSQL URL; None: the SQLite file in the folder)."""
        from app.core.library import Library, LibraryError

        try:
            library = Library.open(path, database=database or None)
        except LibraryError as exc:
            self.bridge.error(str(exc), exc, key="library")
            return False
        self.close_library()
        self.message_area.clear()  # what was said about the previous library (or about choosing one) is stale
        self.bridge.clear()
        self.library = library
        if self.remember:
            self.settings.remember_library(str(library.root), database or None)
        self.setWindowTitle(library.root.name)
        self.browser.set_library(library)
        self.organise.set_library(library)
        for view in self.views.values():
            view.set_library(library)
        self.imports.set_library(library)
        self.background.set_library(library)
        self.watcher.set_library(library)
        self.trash.set_library(library)
        self.place_field.set_library(library)
        self.voice_panel.set_library(library)
        self.caption_panel.set_library(library)
        # Opening at start-up (the window not shown yet) reads the first list at once, so the first paint has
        # photos in it (`bench gui` first paint 1.85 s -> 1.2 s); once the window shows, every read is off-thread.
        self.browser.read_now = not self.isVisible()
        self._engine_waits = True  # started once the grid has its photos (see _on_first_list)
        self.navigate(Place(Mode.LIBRARY))
        QTimer.singleShot(0, self._refresh_sidebar)  # counting queries: after the grid's first paint
        self.backups.remind_if_due(library)
        return True

    def _on_first_list(self) -> None:
        """The task engine loads every handler module (imaging libraries, a second of GUI-thread time): start
        it only after the grid has painted its photos, so it never delays the first screen of them."""
        if self._engine_waits:
            self._engine_waits = False
            QTimer.singleShot(200, self._start_engine)

    def close_library(self) -> None:
        if self.library is None:
            return
        self.loader.clear()
        self.trash.set_library(None)  # this session's moves go to the system trash now
        self.place_field.set_library(None)
        self.voice_panel.set_library(None)
        self.caption_panel.set_library(None)
        self.background.set_library(None)  # tasks in flight go back to the queue; they resume next time
        self.tasks_engine = None
        self.watcher.set_library(None)
        self.folder_watch.set_library(None)
        self.imports.set_library(None)
        self.task_panel.set_engine(None)
        self.reader.cancel()
        self.reader.wait(10_000)
        for view in self.views.values():
            view.wait()
            view.set_library(None)
        self.browser.set_library(None)
        self.organise.set_library(None)
        library, self.library = self.library, None
        library.close()

    def _start_engine(self) -> None:
        """Make the library's task engine on the reader thread; the worker process runs its queue."""
        library = self.library
        if library is None:
            return
        if library.read_only:  # browsing and searching work; imports and background analysis would write
            self.bridge.warning(
                self.tr("{reason}: this library is open read-only, for browsing and searching only.").format(
                    reason=library.read_only_reason
                ),
                key="library",
            )
            return
        self.reader.read("engine", lambda: task_engine(library),
                         lambda engine, error: self._on_engine(library, engine, error))

    def _on_engine(self, library, engine, error) -> None:
        if library is not self.library:
            return
        if error is None and engine is None:
            try:
                engine = task_engine(library)  # here, on the GUI thread, its modules loaded by the reader
            except Exception as exc:  # noqa: BLE001 - reported below like an error on the reader
                error = exc
        if error is not None:  # the app still browses photos without background work
            self.bridge.error(self.tr("Background tasks cannot run: {error}").format(error=error), error,
                              key="engine")
            return
        self.tasks_engine = engine
        # The engine never runs here; its signals carry this window's own changes (a submit, a cancel) and,
        # relayed, what the worker process reports.
        self.background.relay = engine
        engine.group_progress.connect(self.imports.on_group_progress)
        engine.queue_changed.connect(self._on_queue_changed)
        engine.task_failed.connect(self._on_task_failed)
        engine.failed.connect(self._on_engine_failed)
        self.task_panel.set_engine(engine)
        self.folder_watch.set_library(library)
        self.folder_watch.rescan_all()  # what changed on disk while the app was closed
        self._read_counts()
        for view in self.views.values():
            view.engine_started()
        # Voice notes waiting for a transcript, photos waiting for a caption (when a caption model exists).
        self.reader.read("schedule-notes", lambda: (library.voice.schedule(), library.captions.schedule()),
                         lambda _result, _error: self._read_counts())
        from app.core.ingest.repair import schedule_thumbnail_check

        self.reader.read("thumbnail-check", lambda: schedule_thumbnail_check(library), self._on_check_queued)

    def _read_counts(self) -> None:
        """Tasks per state, read off the GUI thread; waiting work starts a worker (see _on_queue_changed)."""
        engine = self.tasks_engine
        if engine is not None:
            self.reader.read("task-counts", engine.counts,
                             lambda counts, error: error or self._on_queue_changed(counts))

    def _follow_other_machines(self) -> None:
        """On a PostgreSQL library, workers of other processes and machines change the queue without reporting
        to this window: a change the watcher saw re-reads the task counts and the task panel. (On SQLite the
        window's own worker reports them, as before.)"""
        if self.library is not None and self.library.db.is_postgres:
            self._read_counts()
            self.task_panel.schedule_refresh()

    def _start_work(self) -> None:
        """A worker process for waiting work (once the engine is there to relay its reports; until then the
        counts read by _on_engine start it)."""
        if self.tasks_engine is not None:
            self.background.ensure_running()

    def _on_check_queued(self, _task_id, error) -> None:
        if error is not None:
            log.warning("cannot queue the thumbnail check: %s", error)
        self._read_counts()

    def _on_worker_crashed(self, code: int, details: str) -> None:
        if code == FAILED_TO_START and self.tasks_engine is not None:
            # No worker process can run here (a packaged build without the CLI, say): the queue runs in this
            # process as it did before, slower to scroll during imports but never stuck.
            log.warning("no background worker process (%s); running tasks in the window's process", details)
            self.tasks_engine.start()
            return
        self.bridge.show(UserMessage(
            self.tr("Background work stopped unexpectedly (exit code {code}).").format(code=code),
            ERROR, details, ((self.tr("Resume"), self._resume_engine),), key="engine"))

    def _repair_thumbnail(self, key) -> bool:
        """Called on an image worker when a thumbnail file is missing or broken: make it again from the
        original (the library's photos stay viewable after a lost or damaged thumbnail folder)."""
        library = self.library
        if library is None or library.read_only or not (isinstance(key, tuple) and key[0] in ("grid", "preview")):
            return False
        from app.core.ingest.repair import regenerate_thumbnails

        return bool(regenerate_thumbnails(library, [key[1]]))

    def _on_engine_failed(self, reason: str) -> None:
        """The engine's own bookkeeping failed (a full disk): work stopped and resumes when started again."""
        self.bridge.error(
            self.tr("Background work stopped: {reason}").format(reason=reason),
            key="engine",
            actions=((self.tr("Resume"), self._resume_engine),),
        )

    def _resume_engine(self) -> None:
        if self.library is not None:
            self.background.resume()

    # -- navigation and refresh -----------------------------------------------------------------------------
    def navigate(self, place: Place) -> None:
        view = self.views.get(place.mode)
        if self.library is None or view is None or not view.enabled:
            return
        self.place = place
        for other in self.views.values():
            other.is_current = other is view
        page = view.page()
        if page is not None:
            self.stack.setCurrentWidget(page)
            self.count_label.setText("")
        self.sidebar.select(place.mode)
        view.activate(place)

    def show_library(self) -> None:
        self.navigate(Place(Mode.LIBRARY))

    def show_duplicates(self) -> None:
        self.navigate(Place(Mode.DUPLICATES))

    def refresh(self) -> None:
        """Re-read what is shown (the grid's list, the sidebar, the current page) after the library changed."""
        self._refresh(views=True)

    def refresh_live(self) -> None:
        """The refresh that changes seen in the library cause: while this window's import runs, the views are
        read again every VIEWS_IMPORT_REFRESH_MS only, the grid every time."""
        due = time.monotonic() - self._last_views_refresh >= VIEWS_IMPORT_REFRESH_MS / 1000
        self._refresh(views=due or not self.imports.active)

    def _refresh(self, *, views: bool) -> None:
        self._live_refresh.stop()
        self._last_refresh = time.monotonic()
        if self.library is None:
            return
        self.loader.retry_failed()
        if views:
            self._last_views_refresh = self._last_refresh
            for view in self.views.values():
                view.refresh(view.is_current)
        self.browser.refresh()  # also behind another page: going back shows it current

    def schedule_refresh(self) -> None:
        """A refresh soon, at most one per LIVE_REFRESH_MS (IMPORT_REFRESH_MS while importing) however many
        changes arrive."""
        if self._live_refresh.isActive():
            return
        interval = IMPORT_REFRESH_MS if self.imports.active else LIVE_REFRESH_MS
        wait_ms = interval - (time.monotonic() - self._last_refresh) * 1000
        self._live_refresh.start(max(0, int(wait_ms)))

    def _refresh_sidebar(self) -> None:
        for view in self.views.values():
            view.refresh(False)

    def _on_browser_status(self, text: str) -> None:
        if self.browser.showing():
            self.count_label.setText(text)

    # -- imports ------------------------------------------------------------------------------------------
    def import_paths(self, paths: list[str]) -> bool:
        """Queue an import (off the GUI thread; `imports.started(group_id)` follows); True when on its way."""
        if self.library is None:
            self.bridge.warning(self.tr("Open or create a library first (File → Open Library)."), key="library")
            return False
        return self.imports.start(paths)

    def choose_import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Import Folder"), pictures_dir())
        if folder:
            self.import_paths([folder])

    def choose_import_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Import Photos"), pictures_dir(),
            self.tr("Images") + " (*.jpg *.jpeg *.png *.heic *.heif *.tif *.tiff *.webp);;" + self.tr("All files") + " (*)")
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
        viewing = self.browser.stack.currentWidget() is self.viewer
        if viewing and self.voice_panel.attach_dropped(event.mimeData().urls()):  # audio onto a photo: a voice note
            event.acceptProposedAction()
            return
        paths = local_paths(event.mimeData().urls())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_paths(paths)

    # -- tasks ----------------------------------------------------------------------------------------------
    def _on_queue_changed(self, counts: dict) -> None:
        running = counts.get(TaskState.RUNNING, 0)
        waiting = counts.get(TaskState.PENDING, 0) + counts.get(TaskState.FAILED, 0)
        dead = counts.get(TaskState.DEAD, 0)
        parts = []
        if running:
            parts.append(self.tr("{count} running").format(count=f"{running:,}"))
        if waiting:
            parts.append(self.tr("{count} waiting").format(count=f"{waiting:,}"))
        if dead:
            parts.append(self.tr("{count} failed").format(count=f"{dead:,}"))
        self.tasks_button.setText(self.tr("Tasks: {parts}").format(parts=", ".join(parts)) if parts
                                  else self.tr("No background tasks"))
        if waiting:
            self._start_work()

    def _on_task_failed(self, task_id: int, task_type: str, message: str) -> None:
        self._failed_tasks.append(f"#{task_id} {task_type}: {message}")
        count = len(self._failed_tasks)
        self.bridge.warning(self.tr("{tasks} failed; the task panel can retry them.").format(
            tasks=fmt.count(count, "background task")), details="\n".join(self._failed_tasks[-200:]),
            key="task-failed", actions=[(self.tr("Show tasks"), self.task_dock.show)])

    # -- layout: small windows and message bars ------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_panels()

    def _fit_panels(self) -> None:
        """Below NARROW_WIDTH the sidebar and the info panel step aside (F9 / Ctrl+I bring them back); when
        the window is wide again, what was put aside comes back."""
        narrow = self.width() < NARROW_WIDTH
        if narrow == self._narrow:
            return
        self._narrow = narrow
        if narrow:
            self._hidden_for_width = {"info": self.info_dock.isVisible(), "sidebar": self.sidebar_shown()}
            self.info_dock.hide()
            self._show_sidebar(False)
        else:
            if self._hidden_for_width.get("info"):
                self.info_dock.show()
            if self._hidden_for_width.get("sidebar"):
                self._show_sidebar(True)
            self._hidden_for_width = {}

    def sidebar_shown(self) -> bool:
        return self.splitter.sizes()[0] > 0 and self.sidebar.isVisible()

    def _show_sidebar(self, shown: bool) -> None:
        total = sum(self.splitter.sizes()) or self.width()
        width = min(SIDEBAR_WIDTH, max(120, total // 4))
        self.splitter.setSizes([width, total - width] if shown else [0, total])
        self.sidebar_action.setChecked(shown)

    def _toggle_sidebar(self) -> None:
        self._show_sidebar(not self.sidebar_shown())

    def _fit_messages(self) -> None:
        keep = GRID_ROWS_KEPT * self.grid_view.gridSize().height() + 2 * self.grid_view.frameWidth()
        bar = self.browser.filter_bar
        keep += bar.sizeHint().height() if not bar.isHidden() else 0
        self.message_area.set_available_height(self.content.height() - keep)

    # -- small actions ------------------------------------------------------------------------------------
    def _on_zoom(self, px: int) -> None:
        self.zoom_slider.blockSignals(True)
        self.zoom_slider.setValue(px)
        self.zoom_slider.blockSignals(False)
        self._fit_messages()

    def _select_all(self) -> None:
        if self.stack.currentWidget() is self.grid_page:
            self.grid_view.selectAll()

    def _share_undo_key(self) -> None:
        """One Ctrl+Z: the People view's undo (its own persisted log) is enabled only while People shows; Edit →
        Undo (albums, events, organising: one shared log) steps aside meanwhile, as two enabled actions on one
        key would both go dead."""
        people_undo = getattr(self.views.get(Mode.PEOPLE), "undo_action", None)
        if people_undo is not None:
            def follow(people_on: bool) -> None:
                library = self.library
                self.organise.undo.setEnabled(not people_on and library is not None and not library.read_only)

            people_undo.enabledChanged.connect(follow)

    def _context_menu(self, pos) -> None:
        index = self.grid_view.indexAt(pos)
        if not index.isValid():
            return
        self.browser.select_for_menu(index)
        self._photo_menu(self.grid_view.viewport().mapToGlobal(pos))

    def _viewer_context_menu(self, pos) -> None:
        """The same menu on the photo in the viewer (the grid's selection follows the photo shown)."""
        if self.viewer.row >= 0:
            self._photo_menu(self.viewer.mapToGlobal(pos))

    def _photo_menu(self, where) -> None:
        menu = QMenu(self)
        menu.addActions(self.photo_actions)
        menu.addSeparator()
        self.organise.add_to_menu(menu)
        self.context_menu = menu  # tests reach the menu shown last
        menu.popup(where)

    def _copy_current_path(self) -> None:
        info = self.browser.current_info()
        if info is not None:
            QGuiApplication.clipboard().setText(info.path)

    def show_settings(self) -> None:
        from app.ui.settings_dialog import SettingsDialog

        self.settings_dialog = SettingsDialog(self)
        self.settings_dialog.finished.connect(self.settings_dialog.deleteLater)
        self.settings_dialog.open()

    def _zoom(self, direction: int) -> None:
        """View → Zoom In / Out (Ctrl/Cmd + and −): the photo in the viewer, else the grid's thumbnails."""
        if self.stack.currentWidget() is self.viewer:
            from app.ui.viewer import ZOOM_STEP

            self.viewer.canvas.zoom_by(ZOOM_STEP if direction > 0 else 1 / ZOOM_STEP)
        elif direction > 0:
            self.grid_view.zoom_in()
        else:
            self.grid_view.zoom_out()

    def _toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def choose_library(self) -> None:
        from app.ui.open_library_dialog import OpenLibraryDialog

        self.open_dialog = OpenLibraryDialog(self.settings, pictures_dir(), self)
        self.open_dialog.chosen.connect(self.open_library)
        self.open_dialog.finished.connect(self.open_dialog.deleteLater)
        self.open_dialog.open()

    def new_library_dialog(self) -> QFileDialog:
        """A folder chooser that takes a typed new name (the plain directory dialog answers "Directory not
        found"), starting in Pictures."""
        dialog = QFileDialog(self, self.tr("New Library: name a new folder, or choose an empty one"), pictures_dir())
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setLabelText(QFileDialog.DialogLabel.Accept, self.tr("Create"))
        dialog.selectFile(self.tr("Shoebox Library"))
        return dialog

    def choose_new_library(self) -> None:
        dialog = self.new_library_dialog()
        if dialog.exec() and dialog.selectedFiles():
            self.create_library(dialog.selectedFiles()[0])

    def create_library(self, folder: str | Path) -> bool:
        """Make a library in `folder`: a new name is created; an existing folder must be empty (or a library)."""
        from app.core.paths import LibraryLayout

        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            self.bridge.warning(self.tr("{path} is a file; choose a folder for a new library.").format(path=folder),
                                key="library")
            return False
        if folder.is_dir() and any(folder.iterdir()) and not LibraryLayout(folder).database.exists():
            self.bridge.warning(self.tr("{path} is not empty; choose an empty folder or type a new name.").format(
                path=folder), key="library")
            return False
        return self.open_library(folder)

    def _about(self) -> None:
        from app import __version__

        QMessageBox.about(self, self.tr("About Shoebox"),
                          f"<b>Shoebox {__version__}</b><p>"
                          + self.tr("A private photo manager: your photos stay on this computer.") + "</p>")

    def closeEvent(self, event) -> None:
        if self.remember:
            self.settings.save_window_state(self.saveGeometry(), self.saveState())
            self.settings.thumbnail_size = self.grid_view.thumbnail_size
            self.settings.sync()
        self.loader.shutdown()
        self.viewer.loader.shutdown()
        self.close_library()
        self.reader.close()
        super().closeEvent(event)
