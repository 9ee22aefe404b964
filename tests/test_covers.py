"""Set as Cover from the grid: right-click a photo in an event's or a person's album → Set as … Cover; the
choice shows on the card, survives re-segmentation (events) and is undone like the other edits."""

from __future__ import annotations

import pytest
from people_library import ALICE, faces_library_built, faces_root, main_faces, needs_faces, person_of  # noqa: F401

from app.core.events.service import EventError
from app.core.people.operations import PeopleError
from app.ui.views import Mode, Place
from generated_window import make_window  # noqa: F401  (a fixture)
from test_events import load_timeline

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support (propagateSizeHints|raise|grabbing)")
WAIT = 60_000  # ms: a deadline for conditions on a busy machine, not a delay


def biggest_event(library):
    return max(library.events.list(), key=lambda e: len(e.photo_ids))


def test_an_event_cover_survives_re_segmentation_and_undo(library):
    load_timeline(library)
    library.events.rebuild()
    event = biggest_event(library)
    chosen = next(p for p in event.photo_ids if p != event.cover_photo_id)
    library.events.set_cover(event.id, chosen)
    assert library.events.get(event.id).cover_photo_id == chosen
    library.events.rebuild()  # an import later: the events are worked out again, the choice stays
    assert biggest_event(library).cover_photo_id == chosen
    library.undo.undo_last()
    assert biggest_event(library).cover_photo_id == event.cover_photo_id
    other = next(e for e in library.events.list() if e.id != event.id)
    with pytest.raises(EventError):
        library.events.set_cover(event.id, other.photo_ids[0])


def right_click(window, row: int, qtbot):
    """The grid's context menu on `row`, as the window builds it (the menu is popped up, then closed)."""
    view = window.grid_view
    qtbot.waitUntil(lambda: view.visualRect(view.model().index(row, 0)).isValid(), timeout=WAIT)
    view.scrollTo(view.model().index(row, 0))
    point = view.visualRect(view.model().index(row, 0)).center()
    view.customContextMenuRequested.emit(point)
    menu = window.context_menu
    menu.close()
    return {a.text(): a for a in menu.actions() if a.isVisible() and a.text()}


def test_set_as_event_cover_from_the_grids_context_menu(library, make_window, qtbot):
    load_timeline(library)
    library.events.rebuild()
    event = biggest_event(library)
    window = make_window(library.root)
    assert "Set as Event &Cover" not in right_click(window, 0, qtbot)  # the Library is no event
    window.navigate(Place(Mode.EVENTS, event.id))
    qtbot.waitUntil(lambda: list(window.grid_model.ids) == event.photo_ids, timeout=WAIT)
    row = next(r for r, p in enumerate(event.photo_ids) if p != event.cover_photo_id)
    actions = right_click(window, row, qtbot)
    actions["Set as Event &Cover"].trigger()
    qtbot.waitUntil(lambda: library.events.get(event.id).cover_photo_id == event.photo_ids[row], timeout=WAIT)


@needs_faces
def test_set_as_cover_for_a_person_from_their_album(faces_root, make_window, qtbot):
    window = make_window(faces_root)
    library = window.library
    alice = person_of(library, ALICE)
    first_card = next(c for c in library.people.cards() if c.id == alice)
    window.navigate(Place(Mode.PEOPLE, ("person", alice)))
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == len(ALICE), timeout=WAIT)
    faces = {f["photo_id"]: f for f in main_faces(library, ALICE)}

    def alices_face(photo_id):
        return max((f for f in library.people.face_infos(photo_id=photo_id) if f.person_id == alice),
                   key=lambda f: f.box[2])

    row = next(r for r, p in enumerate(window.grid_model.ids) if alices_face(p).crop != first_card.crop)
    photo_id = window.grid_model.ids[row]
    actions = right_click(window, row, qtbot)
    actions["Set as &Cover for This Person"].trigger()

    def card():
        return next(c for c in library.people.cards() if c.id == alice)

    chosen = alices_face(photo_id)
    qtbot.waitUntil(lambda: card().crop == chosen.crop, timeout=WAIT)
    assert photo_id in faces
    library.people.undo()
    assert card().crop == first_card.crop
    with pytest.raises(PeopleError):
        library.people.set_cover(alice, next(p for p in library.photos.ordered_ids() if p not in faces))
    window.navigate(Place(Mode.LIBRARY))
    assert "Set as &Cover for This Person" not in right_click(window, 0, qtbot)
