"""The People view on real faces (../shared/faces): cards, a person's album, and every correction (name,
rename-to-merge, merge by drag and by selection, split, not this person, hide, forget, suggestions) with
Undo; the viewer's face boxes and the info panel's People line; faces found with no click after opening."""

from __future__ import annotations

import pytest
from people_library import ALICE, BOB, faces_library_built, faces_root, main_faces, needs_faces, person_of  # noqa: F401
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QDropEvent
from sqlalchemy import delete, update

from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings
from app.ui.views import Mode, Place

pytestmark = [needs_faces, pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                                    "This plugin does not support raise",
                                                    "This plugin does not support grabbing")]  # the box's menu
WAIT = 60_000  # generous: a busy 2-core machine


@pytest.fixture
def window(qtbot, tmp_path, faces_root):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    assert win.open_library(faces_root)
    win.resize(1280, 820)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.browser.loaded)
    yield win
    win.close()


def settle(window, qtbot):
    """Wait until the face work queued when the library opened is done (it would re-assign faces a test
    detaches)."""
    from app.core.tasks.states import LIVE_STATES

    view = people(window)
    qtbot.waitUntil(lambda: view.scheduled, timeout=WAIT)
    qtbot.waitUntil(lambda: not any(window.library.tasks.counts().get(s, 0) for s in LIVE_STATES), timeout=WAIT)


def people(window):
    return window.views[Mode.PEOPLE]


def open_people(window, qtbot):
    window.navigate(Place(Mode.PEOPLE))
    view = people(window)
    qtbot.waitUntil(lambda: view.widget.cards.count() > 0, timeout=WAIT)
    return view


def names(view) -> dict[int, str | None]:
    return {c.id: c.name for c in view.cards}


def card_item(view, person_id):
    return view.widget.cards.item_of(person_id)


def test_cards_sidebar_count_and_a_persons_album(window, qtbot):
    view = open_people(window, qtbot)
    alice, bob = person_of(window.library, ALICE), person_of(window.library, BOB)
    grid = view.widget.cards
    assert grid.ids() == [alice, bob]  # unnamed, biggest first
    assert grid.item(0).text() == "Add a name\n4 photos"
    assert view.sidebar_item().text(0) == "People  (2)"
    qtbot.waitUntil(lambda: not grid.item(0).icon().pixmap(64, 64).toImage().pixelColor(32, 32).name() == "#3c3c40",
                    timeout=WAIT)  # the face crop replaced the placeholder
    grid.itemActivated.emit(grid.item(0))
    qtbot.waitUntil(lambda: window.browser.loaded and window.grid_model.rowCount() == 4, timeout=WAIT)
    assert window.stack.currentWidget() is window.grid_page and view.bar.isVisible()
    assert view.bar.name_edit.placeholderText() == "Add a name"
    window.grid_view.select_row(0)
    qtbot.waitUntil(lambda: window.info_panel.text("People") == "1 without a name", timeout=WAIT)
    window.navigate(Place(Mode.PEOPLE))
    view.open_person(alice)  # again, after the overview: the bar comes back (it once did not)
    qtbot.waitUntil(lambda: view.bar.isVisible(), timeout=WAIT)
    assert view.undo_action.isEnabled()
    window.navigate(Place(Mode.LIBRARY))
    assert not view.bar.isVisible()  # the person's bar goes with their album
    assert not view.undo_action.isEnabled()  # Ctrl+Z is not People's elsewhere


def test_name_then_undo_with_ctrl_z(window, qtbot):
    view = open_people(window, qtbot)
    alice = person_of(window.library, ALICE)
    view.open_person(alice)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 4, timeout=WAIT)
    view.bar.name_edit.setText("Alice")
    qtbot.keyClick(view.bar.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: names(view).get(alice) == "Alice", timeout=WAIT)
    sidebar = view.sidebar_item()
    assert [sidebar.child(i).text(0) for i in range(sidebar.childCount())] == ["Alice"]
    assert view.undo_action.isEnabled()
    qtbot.keyClick(window.grid_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: names(view).get(alice) is None, timeout=WAIT)


def test_a_name_in_use_offers_a_merge(window, qtbot, monkeypatch):
    view = open_people(window, qtbot)
    alice, bob = person_of(window.library, ALICE), person_of(window.library, BOB)
    window.library.people.rename(alice, "Alice")
    asked = []
    monkeypatch.setattr(view, "ask", lambda question: asked.append(question) or True)
    view.open_person(bob)
    view.bar.name_edit.setText("alice")
    qtbot.keyClick(view.bar.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: list(names(view)) == [alice], timeout=WAIT)
    assert "already exists" in asked[0]
    assert view.person_id == alice  # the album shown is the merged person's
    view.undo()
    qtbot.waitUntil(lambda: set(names(view)) == {alice, bob}, timeout=WAIT)


def test_merge_by_dropping_a_card_onto_another_and_undo(window, qtbot):
    view = open_people(window, qtbot)
    alice, bob = person_of(window.library, ALICE), person_of(window.library, BOB)
    grid = view.widget.cards
    card_item(view, bob).setSelected(True)
    target = grid.visualItemRect(card_item(view, alice)).center()
    mime = grid.mimeData([card_item(view, bob)]) or QMimeData()
    event = QDropEvent(QPointF(target), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    grid.dropEvent(event)
    qtbot.waitUntil(lambda: list(names(view)) == [alice], timeout=WAIT)
    assert {f["person_id"] for f in main_faces(window.library, BOB)} == {alice}
    window.views[Mode.PEOPLE].undo_action.trigger()
    qtbot.waitUntil(lambda: set(names(view)) == {alice, bob}, timeout=WAIT)


def test_merge_selected_goes_into_the_named_person(window, qtbot):
    view = open_people(window, qtbot)
    alice, bob = person_of(window.library, ALICE), person_of(window.library, BOB)
    window.library.people.rename(bob, "Bob")
    window.refresh()
    qtbot.waitUntil(lambda: names(view).get(bob) == "Bob", timeout=WAIT)
    view.widget.cards.selectAll()
    assert view.widget.merge_button.isEnabled()
    view.widget.merge_button.click()
    qtbot.waitUntil(lambda: list(names(view)) == [bob], timeout=WAIT)
    assert alice not in names(view)


def test_split_and_not_this_person_from_the_face_grid(window, qtbot):
    view = open_people(window, qtbot)
    alice = person_of(window.library, ALICE)
    window.navigate(Place(Mode.PEOPLE, ("faces", alice)))
    faces = view.widget.faces
    qtbot.waitUntil(lambda: faces.count() == 4, timeout=WAIT)
    assert window.stack.currentWidget() is view.widget
    faces.item(0).setSelected(True)
    moved = faces.item(0).data(Qt.ItemDataRole.UserRole)
    view.widget.move_button.click()
    qtbot.waitUntil(lambda: faces.count() == 3 and len(view.cards) == 3, timeout=WAIT)
    new = {f["id"]: f["person_id"] for f in window.library.people.faces()}[moved]
    assert new not in (alice, None)
    faces.item(0).setSelected(True)
    removed = faces.item(0).data(Qt.ItemDataRole.UserRole)
    view.widget.remove_button.click()
    qtbot.waitUntil(lambda: faces.count() == 2, timeout=WAIT)
    assert {f["id"]: f["person_id"] for f in window.library.people.faces()}[removed] is None
    view.undo()
    qtbot.waitUntil(lambda: faces.count() == 3, timeout=WAIT)
    view.undo()
    qtbot.waitUntil(lambda: faces.count() == 4 and len(view.cards) == 2, timeout=WAIT)


def test_hide_behind_the_toggle_and_forget_keeps_photos(window, qtbot, monkeypatch):
    view = open_people(window, qtbot)
    alice, bob = person_of(window.library, ALICE), person_of(window.library, BOB)
    view.hide_person(bob, True)
    qtbot.waitUntil(lambda: view.widget.cards.ids() == [alice], timeout=WAIT)
    assert view.sidebar_item().text(0) == "People  (1)"
    view.widget.show_hidden.setChecked(True)
    assert view.widget.cards.ids() == [alice, bob] and "hidden" in view.widget.cards.item(1).text()
    view.undo()
    qtbot.waitUntil(lambda: not any(c.hidden for c in view.cards), timeout=WAIT)

    monkeypatch.setattr(view, "ask", lambda question: "cannot be undone" in question)
    view.forget(alice)
    qtbot.waitUntil(lambda: list(names(view)) == [bob], timeout=WAIT)
    assert len(window.library.photos.ordered_ids()) == 10
    assert all(f["person_id"] != alice for f in window.library.people.faces())


def _detach(library, face_ids):
    from app.core.db.models import Face

    with library.db.write_session() as s:
        s.execute(update(Face).where(Face.id.in_(face_ids)).values(person_id=None, confirmed=False))


@pytest.mark.parametrize("yes", [True, False])
def test_suggestions_answered_in_bulk(window, qtbot, yes):
    view = open_people(window, qtbot)
    settle(window, qtbot)
    library = window.library
    alice, bob = person_of(library, ALICE), person_of(library, BOB)
    library.people.rename(alice, "Alice")
    library.people.rename(bob, "Bob")
    strays = [main_faces(library, ALICE[:1])[0]["id"], main_faces(library, BOB[:1])[0]["id"]]
    _detach(library, strays)
    window.navigate(Place(Mode.PEOPLE))
    qtbot.waitUntil(lambda: view.widget.suggestions_button.text() == "Suggestions (2)", timeout=WAIT)
    view.widget.suggestions_button.click()
    questions = view.widget.questions
    qtbot.waitUntil(lambda: questions.count() == 2, timeout=WAIT)
    assert sorted(questions.item(i).text() for i in range(2)) == ["Alice?", "Bob?"]
    view.widget.select_all.click()
    (view.widget.yes_button if yes else view.widget.no_button).click()
    qtbot.waitUntil(lambda: questions.count() == 0, timeout=WAIT)
    now = {f["id"]: f["person_id"] for f in library.people.faces()}
    assert [now[f] for f in strays] == ([alice, bob] if yes else [None, None])
    view.undo()
    qtbot.waitUntil(lambda: questions.count() == 2, timeout=WAIT)


def test_face_boxes_in_the_viewer_name_a_face(window, qtbot):
    view = open_people(window, qtbot)
    bob = person_of(window.library, BOB)
    view.open_person(bob)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 3, timeout=WAIT)
    window.grid_view.select_row(0)
    window.browser.open_viewer(0)
    viewer = window.viewer
    assert viewer.faces_button.isVisible()
    viewer.faces_button.setChecked(True)
    qtbot.waitUntil(lambda: bool(viewer.canvas.boxes) and not viewer.canvas.image.isNull(), timeout=WAIT)
    face_id, fraction, label = max(viewer.canvas.boxes, key=lambda b: b[1].width())
    assert label == "Who is this?"
    with qtbot.waitSignal(viewer.canvas.box_clicked):
        qtbot.mouseClick(viewer.canvas, Qt.MouseButton.LeftButton, pos=viewer.canvas.box_rect(fraction).center().toPoint())
    menu = view.faces_overlay.last_menu
    assert menu is not None and [a.text() for a in menu.actions()][:2] == ["Unknown face", "Name…"]
    menu.close()
    view.faces_overlay.name_face(face_id, "Bob")  # a face of an unnamed group names the group
    qtbot.waitUntil(lambda: names(view).get(bob) == "Bob", timeout=WAIT)
    qtbot.waitUntil(lambda: any(b[2] == "Bob" for b in viewer.canvas.boxes), timeout=WAIT)
    view.faces_overlay.name_face(face_id, "Carol")  # a named person's face goes to someone else
    qtbot.waitUntil(lambda: "Carol" in names(view).values(), timeout=WAIT)
    carol = next(i for i, n in names(view).items() if n == "Carol")
    assert {f["id"]: f["person_id"] for f in window.library.people.faces()}[face_id] == carol
    view.undo()
    qtbot.waitUntil(lambda: "Carol" not in names(view).values(), timeout=WAIT)
    assert {f["id"]: f["person_id"] for f in window.library.people.faces()}[face_id] == bob


def test_opening_a_library_finds_faces_with_no_click(qtbot, tmp_path, faces_root):
    """Photos without a face scan (imported by an older version): opening the library scans them."""
    from app.core.db.models import Face, FaceScan, Person, PersonOp, Task
    from app.core.library import Library

    with Library.open(faces_root) as lib:
        with lib.db.write_session() as s:
            for table in (Face, FaceScan, Person, PersonOp, Task):
                s.execute(delete(table))
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    assert win.open_library(faces_root)
    win.show()
    try:
        win.navigate(Place(Mode.PEOPLE))
        view = people(win)
        qtbot.waitUntil(lambda: len(view.cards) == 2, timeout=120_000)
        assert view.sidebar_item().text(0) == "People  (2)"
    finally:
        win.close()


def test_a_named_person_in_the_sidebar_opens_their_album_with_their_name(window, qtbot):
    bob = person_of(window.library, BOB)
    window.library.people.rename(bob, "Bob")
    window.refresh()
    view = people(window)
    sidebar = view.sidebar_item()
    qtbot.waitUntil(lambda: sidebar.childCount() == 1, timeout=WAIT)
    window.sidebar.tree.setCurrentItem(sidebar.child(0))  # straight from the sidebar: no cards read before
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 3 and view.bar.name_edit.text() == "Bob", timeout=WAIT)
    assert view.bar.summary.text() == "3 faces in 3 photos"


def test_importing_photos_of_people_fills_the_view_with_no_click(qtbot, tmp_path):
    import shutil

    from people_library import FACES, OTHERS

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ALICE + BOB + OTHERS:
        shutil.copy(FACES / name, folder / name)
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    assert win.create_library(tmp_path / "library")
    win.show()
    try:
        qtbot.waitUntil(lambda: win.browser.loaded, timeout=WAIT)
        win.navigate(Place(Mode.PEOPLE))
        view = people(win)
        assert win.import_paths([str(folder)]) is not None
        qtbot.waitUntil(lambda: len(view.cards) == 2 and view.widget.cards.count() == 2, timeout=180_000)
        assert sorted(c.photo_count for c in view.cards) == [3, 4]
    finally:
        win.close()
