"""People: everyone whose faces were grouped, their photos, and every correction (name, merge, split, not this
person, hide, forget) with Undo.

The page shows a grid of person cards (the best face, the name or "Add a name", the photo count): named people
first, then unnamed ones by size; hidden people only with "Show hidden". Opening a card shows the person's
photos in the shared photo grid (viewer and info panel work on it) under a bar with their name and actions;
"Faces" shows their face grid, where faces are split off or removed. "Suggestions" asks "Is this Alice?" for
faces and small groups close to a named person, answered Yes/No in bulk.

Every read and write goes through the core's people service on the window's reader thread; every change but
forget is one step of the core's persisted undo (Ctrl+Z while People shows, or the message's Undo button).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui import format as fmt
from app.ui.views import Mode, Place, PlaceRole, View, sidebar_child

CARD_PX = 128
FACE_PX = 112
IdRole = Qt.ItemDataRole.UserRole
SIDEBAR_NAMES = 40  # named people listed under "People" in the sidebar


def _tr(text: str) -> str:
    return QCoreApplication.translate("PeopleView", text)


def _people(n: int) -> str:
    return _tr("1 person") if n == 1 else _tr("{n} people").format(n=f"{n:,}")


def _placeholder(px: int) -> QIcon:
    pixmap = QPixmap(px, px)
    pixmap.fill(QColor(60, 60, 64))
    return QIcon(pixmap)


class IconGrid(QListWidget):
    """A grid of square pictures with captions; several can be selected."""

    def __init__(self, px: int, parent=None):
        super().__init__(parent)
        self.px = px
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(px, px))
        self.setGridSize(QSize(px + 36, px + 52))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWordWrap(True)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)

    def ids(self, *, selected: bool = False) -> list:
        items = self.selectedItems() if selected else [self.item(i) for i in range(self.count())]
        return [item.data(IdRole) for item in items]

    def item_of(self, value) -> QListWidgetItem | None:
        for i in range(self.count()):
            if self.item(i).data(IdRole) == value:
                return self.item(i)
        return None


class PeopleGrid(IconGrid):
    """Person cards; dropping cards onto another card asks to merge them into it (`merge_dropped`)."""

    merge_dropped = Signal(list, int)

    def __init__(self, parent=None):
        super().__init__(CARD_PX, parent)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    def dragMoveEvent(self, event) -> None:
        target = self.itemAt(event.position().toPoint())
        if target is not None and not target.isSelected():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        target = self.itemAt(event.position().toPoint())
        sources = [i for i in self.ids(selected=True) if target is None or i != target.data(IdRole)]
        event.setDropAction(Qt.DropAction.IgnoreAction)  # the cards do not move: the people merge
        event.accept()
        if target is not None and sources:
            self.merge_dropped.emit(sources, target.data(IdRole))


class PersonBar(QWidget):
    """Above a person's photos: back, the name (with completion), their faces, hide, forget."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.back = QToolButton(text=_tr("← People"), autoRaise=True)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(_tr("Add a name"))
        self.name_edit.setMaximumWidth(320)
        self.completer = QCompleter([], self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.name_edit.setCompleter(self.completer)
        self.faces = QPushButton(_tr("Faces…"))
        self.faces.setToolTip(_tr("This person's faces: move some to a new person or remove them"))
        self.hide_button = QPushButton(_tr("Hide"))
        self.forget = QPushButton(_tr("Forget this person…"))
        self.forget.setToolTip(_tr("Delete this person's face data and name; the photos stay"))
        self.summary = QLabel()
        layout.addWidget(self.back)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.summary, 1)
        for button in (self.faces, self.hide_button, self.forget):
            layout.addWidget(button)
        self.hide()


class _Page(QWidget):
    """A sub-page: a bar of controls over an icon grid."""

    def __init__(self, grid: IconGrid, parent=None):
        super().__init__(parent)
        self.grid = grid
        self.bar = QHBoxLayout()
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(self.bar)
        layout.addWidget(self.empty, 1)
        layout.addWidget(grid, 1)

    def set_empty(self, text: str | None) -> None:
        self.empty.setText(text or "")
        self.empty.setVisible(bool(text))
        self.grid.setVisible(not text)


class PeoplePage(QStackedWidget):
    """The overview of cards, a person's faces, and the suggestions."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cards = PeopleGrid()
        self.overview = _Page(self.cards)
        self.suggestions_button = QPushButton(_tr("Suggestions"))
        self.suggestions_button.setToolTip(_tr("Faces that may be people you named: answer Yes or No"))
        self.merge_button = QPushButton(_tr("Merge"))
        self.merge_button.setToolTip(_tr("Merge the selected people into one (or drag a card onto another)"))
        self.merge_button.setEnabled(False)
        self.show_hidden = QCheckBox(_tr("Show hidden people"))
        bar = self.overview.bar
        bar.addWidget(self.overview.title, 1)
        for widget in (self.suggestions_button, self.merge_button, self.show_hidden):
            bar.addWidget(widget)

        self.faces = IconGrid(FACE_PX)
        self.faces_page = _Page(self.faces)
        self.faces_back = QToolButton(text=_tr("← Photos"), autoRaise=True)
        self.move_button = QPushButton(_tr("Move to new person"))
        self.remove_button = QPushButton(_tr("Not this person"))
        self.remove_button.setToolTip(_tr("Take the selected faces away from this person for good"))
        bar = self.faces_page.bar
        bar.addWidget(self.faces_back)
        bar.addWidget(self.faces_page.title, 1)
        bar.addWidget(self.move_button)
        bar.addWidget(self.remove_button)

        self.questions = IconGrid(FACE_PX)
        self.suggestions_page = _Page(self.questions)
        self.suggestions_back = QToolButton(text=_tr("← People"), autoRaise=True)
        self.select_all = QPushButton(_tr("Select all"))
        self.yes_button = QPushButton(_tr("Yes"))
        self.no_button = QPushButton(_tr("No"))
        bar = self.suggestions_page.bar
        bar.addWidget(self.suggestions_back)
        bar.addWidget(self.suggestions_page.title, 1)
        for widget in (self.select_all, self.yes_button, self.no_button):
            bar.addWidget(widget)
        self.select_all.clicked.connect(self.questions.selectAll)
        for page in (self.overview, self.faces_page, self.suggestions_page):
            self.addWidget(page)


class PeopleView(View):
    mode = Mode.PEOPLE
    shortcut = "Ctrl+4"

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("People")
        self.widget = PeoplePage()
        self.bar = PersonBar()
        self.person_id: int | None = None
        self.cards: list = []
        self.suggestions: list = []
        self._pictures: dict[str, list[QListWidgetItem]] = {}  # crop path -> items showing it
        self._op = 0
        self.scheduled = False  # the library's face work was queued (after the engine started)
        self.faces_overlay = None

        page = self.widget
        page.cards.itemActivated.connect(lambda item: self.open_person(item.data(IdRole)))
        page.cards.itemSelectionChanged.connect(
            lambda: page.merge_button.setEnabled(len(page.cards.selectedItems()) >= 2))
        page.cards.merge_dropped.connect(self.merge)
        page.cards.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        page.cards.customContextMenuRequested.connect(self._card_menu)
        page.merge_button.clicked.connect(self.merge_selected)
        page.show_hidden.toggled.connect(lambda _on: self._show_cards())
        page.suggestions_button.clicked.connect(lambda: self.context.navigate(Place(self.mode, ("suggestions",))))
        page.faces_back.clicked.connect(lambda: self.open_person(self.person_id))
        page.move_button.clicked.connect(self.move_selected_faces)
        page.remove_button.clicked.connect(self.remove_selected_faces)
        page.suggestions_back.clicked.connect(lambda: self.context.navigate(Place(self.mode)))
        page.yes_button.clicked.connect(lambda: self.answer(True))
        page.no_button.clicked.connect(lambda: self.answer(False))
        bar = self.bar
        bar.back.clicked.connect(lambda: self.context.navigate(Place(self.mode)))
        bar.name_edit.returnPressed.connect(lambda: self.name_person(self.person_id, bar.name_edit.text()))
        bar.faces.clicked.connect(lambda: self.context.navigate(Place(self.mode, ("faces", self.person_id))))
        bar.hide_button.clicked.connect(self._toggle_hidden)
        bar.forget.clicked.connect(lambda: self.forget(self.person_id))
        context.loader.image_ready.connect(self._on_image_ready)

        self.undo_action = QAction(_tr("Undo Person Change"), self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setEnabled(False)  # only while People shows (other views may own Ctrl+Z)
        self.undo_action.triggered.connect(self.undo)
        self.cover_action = QAction(_tr("Set as &Cover for This Person"), self, triggered=self.cover_from_current)
        self.cover_action.setToolTip(_tr("Show this person's face in this photo on their card"))
        self.cover_action.setVisible(False)  # only in a person's album
        from app.ui.views.people_faces import FaceOverlay

        self.faces_overlay = FaceOverlay(self)

    # -- the View interface -------------------------------------------------------------------------------
    @property
    def is_current(self) -> bool:
        return self.__dict__.get("_current", False)

    @is_current.setter
    def is_current(self, current: bool) -> None:
        """Kept by the window: Ctrl+Z undoes person changes only while People shows (others may own it)."""
        self.__dict__["_current"] = current
        if "undo_action" in self.__dict__:
            self.undo_action.setEnabled(current)
        if "cover_action" in self.__dict__ and not current:
            self.cover_action.setVisible(False)

    def page(self):
        return self.widget

    def menu_actions(self):
        return {"Edit": [self.undo_action], "Photo": [self.cover_action]}

    def set_library(self, library) -> None:
        super().set_library(library)
        self.person_id = None
        self.scheduled = False
        self.cards, self.suggestions = [], []
        self.widget.cards.clear()
        self._pictures = {}
        self.sidebar_item().setText(0, self.title)
        self.sidebar_item().takeChildren()
        self.faces_overlay.set_library(library)

    def engine_started(self) -> None:
        """Opening a library queues the face scan of photos that lack one (by the worker process: a task that
        queues them): people fill in without a click."""
        if self.library is None or self.library.read_only:
            return
        people = self.library.people
        self.context.reader.read("people-schedule", people.schedule_in_background, self._scheduled)

    def _scheduled(self, _queued, error) -> None:
        self.scheduled = True
        if error is not None:
            self.context.messages.error(_tr("Faces cannot be looked for: {error}").format(error=error), error,
                                        key="people")

    def activate(self, place: Place) -> None:
        value = place.value
        self.cover_action.setVisible(isinstance(value, tuple) and value[0] == "person")
        if isinstance(value, tuple) and value[0] == "person":
            self.open_person(value[1], navigate=False)
            self.refresh(True)  # the bar's name and counts (straight from the sidebar, no cards read yet)
            return
        self.context.browser.set_header(None)
        if isinstance(value, tuple) and value[0] == "faces":
            self.person_id = value[1]
            self.widget.setCurrentWidget(self.widget.faces_page)
            self._read_faces()
            return
        if isinstance(value, tuple) and value[0] == "suggestions":
            self.widget.setCurrentWidget(self.widget.suggestions_page)
            self.widget.suggestions_page.title.setText(_tr("Looking for suggestions…"))
            self._read_suggestions()
            return
        self.widget.setCurrentWidget(self.widget.overview)
        self.refresh(True)
        self._read_suggestions()

    def refresh(self, active: bool) -> None:
        if self.library is None:
            return
        people = self.library.people
        if active:
            self.context.reader.read("people-cards", people.cards, self._cards_arrived)
        else:
            self.context.reader.read("people-sidebar", people.summary, self._summary_arrived)
        if active and self.widget.currentWidget() is self.widget.faces_page:
            self._read_faces()
        self.faces_overlay.refresh()

    # -- reading ------------------------------------------------------------------------------------------
    def _summary_arrived(self, summary, error) -> None:
        if error is None:
            self._show_sidebar(*summary)

    def _show_sidebar(self, count: int, named: list[tuple[int, str]]) -> None:
        item = self.sidebar_item()
        tree = item.treeWidget()
        if tree is not None:
            tree.blockSignals(True)
        item.setText(0, _tr("People  ({count})").format(count=f"{count:,}"))
        shown = [(item.child(i).data(0, PlaceRole).value[1], item.child(i).text(0)) for i in range(item.childCount())]
        if shown != named[:SIDEBAR_NAMES]:
            item.takeChildren()
            for person_id, name in named[:SIDEBAR_NAMES]:
                sidebar_child(item, name, Place(self.mode, ("person", person_id)))
        if tree is not None:
            tree.blockSignals(False)

    def _cards_arrived(self, cards, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("People cannot be listed: {error}").format(error=error), error,
                                        key="people")
            return
        cards = list(cards)
        changed = cards != self.cards or self.widget.cards.count() == 0
        self.cards = cards
        visible = [c for c in self.cards if not c.hidden]
        self._show_sidebar(len(visible), [(c.id, c.name) for c in visible if c.name])
        if changed:  # a live refresh that changed nothing keeps the grid (and its scroll position) as it is
            self._show_cards()
        if self.person_id is not None:
            self._show_bar()

    def _show_cards(self) -> None:
        page = self.widget
        grid = page.cards
        selected = set(grid.ids(selected=True))
        scroll = grid.verticalScrollBar().value()
        show_hidden = page.show_hidden.isChecked()
        shown = [c for c in self.cards if show_hidden or not c.hidden]
        hidden = sum(1 for c in self.cards if c.hidden)
        grid.clear()
        self._pictures = {}
        for card in shown:
            caption = (card.name or _tr("Add a name")) + "\n" + fmt.count(card.photo_count, "photo")
            if card.hidden:
                caption += " · " + _tr("hidden")
            item = QListWidgetItem(_placeholder(CARD_PX), caption)
            item.setData(IdRole, card.id)
            item.setToolTip(_tr("Double-click to see their photos; drag onto another person to merge"))
            if not card.name:
                item.setForeground(QColor(150, 150, 150))
            grid.addItem(item)
            item.setSelected(card.id in selected)
            self._picture(item, card.crop, CARD_PX)
        named = sum(1 for c in self.cards if c.name and not c.hidden)
        visible = len(self.cards) - hidden
        page.overview.title.setText(
            _tr("{people}, {named} named").format(people=_people(visible), named=named)
            + (_tr(" ({hidden} hidden)").format(hidden=hidden) if hidden else ""))
        grid.verticalScrollBar().setValue(scroll)
        page.overview.set_empty(None if shown else _tr(
            "<h2>No people yet</h2><p>Faces are found in the background after photos are imported. Someone seen "
            "in three photos or more shows up here.</p>"))

    def _picture(self, item: QListWidgetItem, path: str | None, px: int) -> None:
        if not path:
            return
        self._pictures.setdefault(path, []).append(item)
        image = self.context.loader.image(("face", path), path, px)
        if image is not None and not image.isNull():
            item.setIcon(QIcon(QPixmap.fromImage(image)))

    def _on_image_ready(self, key) -> None:
        if isinstance(key, tuple) and key[0] == "face":
            image = self.context.loader.cached(key)
            if image is None or image.isNull():
                return
            icon = QIcon(QPixmap.fromImage(image))
            for item in self._pictures.get(key[1], []):
                try:
                    item.setIcon(icon)
                except RuntimeError:  # the grid was rebuilt meanwhile
                    pass

    def _card(self, person_id: int | None):
        return next((c for c in self.cards if c.id == person_id), None)

    # -- a person's album ---------------------------------------------------------------------------------
    def open_person(self, person_id: int | None, *, navigate: bool = True) -> None:
        if person_id is None:
            return
        if navigate:
            self.context.navigate(Place(self.mode, ("person", person_id)))
            return
        self.person_id = person_id
        people = self.library.people
        self._show_bar()
        self.context.browser.show_source(
            Place(self.mode, ("person", person_id)), lambda: people.photo_ids(person_id),
            lambda rows: fmt.count(rows, _tr("photo")), _tr("<h2>No photos</h2>"), header=self.bar)

    def cover_from_current(self) -> None:
        person_id, info = self.person_id, self.context.browser.current_info()
        if person_id is None or info is None:
            return
        people, photo_id = self.library.people, info.id
        self._change(lambda: people.set_cover(person_id, photo_id), _tr("This photo now shows on the person's card."))

    def _show_bar(self) -> None:
        card = self._card(self.person_id)
        bar = self.bar
        if not bar.name_edit.hasFocus():
            bar.name_edit.setText(card.name or "" if card else "")
        bar.completer.model().setStringList(sorted({c.name for c in self.cards if c.name}, key=str.casefold))
        if card is not None:
            bar.summary.setText(_tr("{faces} in {photos}").format(faces=fmt.count(card.face_count, "face"),
                                                                   photos=fmt.count(card.photo_count, "photo")))
            bar.hide_button.setText(_tr("Show") if card.hidden else _tr("Hide"))

    def focus_name(self) -> None:
        self.bar.name_edit.setFocus()
        self.bar.name_edit.selectAll()

    # -- the face grid ------------------------------------------------------------------------------------
    def _read_faces(self) -> None:
        person_id, people = self.person_id, self.library.people
        self.context.reader.read("people-faces", lambda: people.face_infos(person_id=person_id),
                                 lambda faces, error: self._faces_arrived(person_id, faces, error))

    def _faces_arrived(self, person_id, faces, error) -> None:
        if error is not None or person_id != self.person_id:
            return
        page = self.widget
        grid = page.faces
        grid.clear()
        for face in faces:
            item = QListWidgetItem(_placeholder(FACE_PX), "" if face.recognisable else _tr("unclear"))
            item.setData(IdRole, face.id)
            grid.addItem(item)
            self._picture(item, face.crop, FACE_PX)
        card = self._card(person_id)
        who = card.name if card and card.name else _tr("this person")
        page.faces_page.title.setText(_tr("{faces} of {who}. Select the ones that are someone else.").format(
            faces=fmt.count(len(faces), "face"), who=who))
        page.faces_page.set_empty(None if faces else _tr("No faces left."))

    def move_selected_faces(self) -> None:
        faces, person_id = self.widget.faces.ids(selected=True), self.person_id
        if faces:
            people = self.library.people
            self._change(lambda: people.split(person_id, faces),
                         _tr("Moved {faces} to a new person.").format(faces=fmt.count(len(faces), "face")))

    def remove_selected_faces(self) -> None:
        faces = self.widget.faces.ids(selected=True)
        if faces:
            people = self.library.people
            self._change(lambda: people.remove_faces(faces),
                         _tr("Removed {faces} from this person.").format(faces=fmt.count(len(faces), "face")))

    # -- changes ------------------------------------------------------------------------------------------
    def name_person(self, person_id: int | None, name: str) -> None:
        """Name or rename; a name someone else already has offers to merge the two."""
        name = name.strip()
        if person_id is None or not name:
            return
        people = self.library.people

        def arrived(other, error) -> None:
            if error is not None:
                self.context.messages.error(_tr("Could not rename: {error}").format(error=error), error, key="people")
                return
            if other is None:
                self._change(lambda: people.rename(person_id, name), _tr("Named {name}.").format(name=name))
            elif self.ask(_tr("{name} already exists. Are these the same person? Merge them.").format(name=name)):
                self.merge([person_id], other)
            else:
                self._show_bar()

        self.context.reader.read("people-find", lambda: people.find_named(name, other_than=person_id), arrived)

    def merge(self, sources: list[int], target: int) -> None:
        sources = [s for s in sources if s != target]
        if not sources:
            return
        people = self.library.people

        def work():
            for source in sources:
                people.merge(source, target)

        if self.person_id in sources:
            self.person_id = target
            self.context.navigate(Place(self.mode, ("person", target)))
        self._change(work, _tr("Merged {people}.").format(people=_people(len(sources) + 1)),
                     steps=len(sources))

    def merge_selected(self) -> None:
        ids = self.widget.cards.ids(selected=True)
        if len(ids) < 2:
            return
        # Into the named one (the first named, in card order), else the biggest.
        by_id = {c.id: c for c in self.cards}
        target = next((i for i in ids if by_id.get(i) and by_id[i].name), ids[0])
        self.merge([i for i in ids if i != target], target)

    def hide_person(self, person_id: int, hidden: bool) -> None:
        people = self.library.people
        self._change(lambda: people.hide(person_id, hidden), _tr("Hidden from People.") if hidden else _tr("Shown again."))

    def _toggle_hidden(self) -> None:
        card = self._card(self.person_id)
        if card is not None:
            self.hide_person(card.id, not card.hidden)

    def forget(self, person_id: int | None) -> None:
        if person_id is None:
            return
        card = self._card(person_id)
        who = card.name if card and card.name else _tr("this person")
        if not self.ask(_tr("Forget {who}? Their face data and name are deleted for good; the photos stay. This "
                            "cannot be undone.").format(who=who)):
            return
        people = self.library.people
        self.person_id = None if self.person_id == person_id else self.person_id
        self._change(lambda: people.forget(person_id), _tr("Forgot {who}; the photos stay.").format(who=who),
                     undoable=False)
        self.context.navigate(Place(self.mode))

    def undo(self) -> None:
        if self.library is None:
            return
        people = self.library.people

        def done(op, error) -> None:
            if error is not None:
                self.context.messages.error(_tr("Could not undo: {error}").format(error=error), error, key="people")
                return
            self.context.messages.info(_tr("Undone: {op}.").format(op=op) if op else _tr("Nothing to undo."),
                                       key="people")
            self._after_change()

        self._op += 1
        self.context.reader.read(f"people-op-{self._op}", people.undo, done)

    def _change(self, work, text: str, *, undoable: bool = True, steps: int = 1) -> None:
        """Run a change on the reader thread (in order with the reads), then say what was done."""
        def done(_result, error) -> None:
            if error is not None:
                self.context.messages.error(_tr("Could not change people: {error}").format(error=error), error,
                                            key="people")
                return
            actions = [(_tr("Undo"), lambda: [self.undo() for _ in range(steps)])] if undoable else []
            self.context.messages.info(text, key="people", actions=actions)
            self._after_change()

        self._op += 1
        self.context.reader.read(f"people-op-{self._op}", work, done)

    def _after_change(self) -> None:
        self.context.refresh()
        if self.is_current and self.widget.currentWidget() in (self.widget.suggestions_page, self.widget.overview):
            self._read_suggestions()

    def ask(self, question: str) -> bool:
        answer = QMessageBox.question(self.context.window, _tr("People"), question)
        return answer == QMessageBox.StandardButton.Yes

    def _card_menu(self, pos) -> None:
        grid = self.widget.cards
        item = grid.itemAt(pos)
        if item is None:
            return
        person_id = item.data(IdRole)
        card = self._card(person_id)
        menu = QMenu(grid)
        menu.addAction(_tr("Show Photos"), lambda: self.open_person(person_id))
        menu.addAction(_tr("Name…"), lambda: (self.open_person(person_id), self.focus_name()))
        if len(grid.selectedItems()) >= 2:
            menu.addAction(_tr("Merge Selected"), self.merge_selected)
        if card is not None:
            menu.addAction(_tr("Show in People") if card.hidden else _tr("Hide"),
                           lambda: self.hide_person(person_id, not card.hidden))
        menu.addAction(_tr("Forget This Person…"), lambda: self.forget(person_id))
        menu.popup(grid.viewport().mapToGlobal(pos))

    # -- suggestions --------------------------------------------------------------------------------------
    def _read_suggestions(self) -> None:
        if self.library is None:
            return
        library = self.library

        def read():
            from app.core.people.suggestions import suggestions

            return suggestions(library)

        self.context.reader.read("people-suggestions", read, self._suggestions_arrived)

    def _suggestions_arrived(self, questions, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("Suggestions cannot be made: {error}").format(error=error), error,
                                        key="people")
            return
        self.suggestions = list(questions)
        page = self.widget
        page.suggestions_button.setText(_tr("Suggestions ({count})").format(count=len(self.suggestions))
                                        if self.suggestions else _tr("Suggestions"))
        page.suggestions_button.setEnabled(bool(self.suggestions))
        grid = page.questions
        grid.clear()
        for index, q in enumerate(self.suggestions):
            text = _tr("{name}?").format(name=q.name)
            if len(q.face_ids) > 1:
                text += "\n" + fmt.count(len(q.face_ids), "face")
            item = QListWidgetItem(_placeholder(FACE_PX), text)
            item.setData(IdRole, index)
            item.setToolTip(_tr("Is this {name}?").format(name=q.name))
            grid.addItem(item)
            self._picture(item, q.crop, FACE_PX)
        page.suggestions_page.title.setText(
            _tr("Is this the person named? Select faces, then Yes or No.") if self.suggestions
            else _tr("No suggestions: name some people, and faces that look like them are asked about here."))

    def answer(self, yes: bool) -> None:
        chosen = [self.suggestions[i] for i in self.widget.questions.ids(selected=True) if i < len(self.suggestions)]
        if not chosen:
            return
        library = self.library

        def work():
            from app.core.people.suggestions import answer

            answer(library, yes=chosen if yes else [], no=[] if yes else chosen)

        self._change(work, (_tr("Confirmed {count}.") if yes else _tr("Noted {count} as someone else.")).format(
            count=fmt.count(len(chosen), "suggestion")))
