"""Faces on a single photo: the viewer's face boxes with names (the viewer's "Faces" toggle) and the info
panel's "People" line.

Clicking a box offers to name that face (a name in use puts the face with that person; a new name makes a new
person, or names the whole unnamed group the face is in) or to say it is not the person shown. Changes go
through the People view's change path (reader thread, undo, refresh).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QRectF
from PySide6.QtWidgets import QInputDialog, QMenu

if TYPE_CHECKING:
    from app.ui.views.people import PeopleView


def _tr(text: str) -> str:
    return QCoreApplication.translate("PeopleFaces", text)


class FaceOverlay(QObject):
    def __init__(self, view: "PeopleView"):
        super().__init__(view)
        self.view = view
        context = view.context
        self.viewer = context.browser.viewer
        self.library = None
        self.faces: dict[int, object] = {}  # face id -> FaceInfo of the photo in the viewer
        self.photo_id: int | None = None
        self.info_field = None
        self.last_menu: QMenu | None = None
        self.viewer.faces_button.show()
        self.viewer.faces_button.toggled.connect(lambda _on: self._read_boxes())
        self.viewer.row_changed.connect(lambda _row: self._read_boxes())
        self.viewer.canvas.box_clicked.connect(self.box_clicked)
        context.browser.current_changed.connect(self._current_changed)

    def set_library(self, library) -> None:
        self.library = library
        self.faces, self.photo_id = {}, None
        panel = getattr(self.view.context.window, "info_panel", None)
        if self.info_field is None and panel is not None and hasattr(panel, "add_field"):
            self.info_field = panel.add_field("People")
        if self.info_field is not None:
            self.info_field.setText("")

    def refresh(self) -> None:
        """After a change: the boxes and the info line show the new names."""
        self._read_boxes()
        self._current_changed(self.view.context.browser.current_info(), 1)

    # -- the info panel -----------------------------------------------------------------------------------
    def _current_changed(self, info, _selected) -> None:
        if self.info_field is None or self.library is None:
            return
        if info is None:
            self.info_field.setText("")
            return
        people, photo_id = self.library.people, info.id
        self.view.context.reader.read("info-people", lambda: people.face_infos(photo_id=photo_id),
                                      lambda faces, error: self._people_arrived(photo_id, faces, error))

    def _people_arrived(self, photo_id, faces, error) -> None:
        info = self.view.context.browser.current_info()
        if error is not None or info is None or info.id != photo_id:
            return
        names = sorted({f.person_name for f in faces if f.person_name}, key=str.casefold)
        others = sum(1 for f in faces if not f.person_name)
        parts = names + ([_tr("{n} without a name").format(n=others)] if others else [])
        self.info_field.setText(", ".join(parts) if parts else _tr("Nobody found"))

    # -- the viewer's boxes -------------------------------------------------------------------------------
    def _read_boxes(self) -> None:
        viewer = self.viewer
        if (self.library is None or not viewer.faces_button.isChecked() or viewer.model is None
                or not 0 <= viewer.row < viewer.model.rowCount()):
            viewer.canvas.set_boxes([])
            return
        info = viewer.model.info(viewer.row)
        if info is None:
            return
        people, photo_id = self.library.people, info.id
        self.view.context.reader.read("viewer-faces", lambda: people.face_infos(photo_id=photo_id),
                                      lambda faces, error: self._boxes_arrived(info, faces, error))

    def _boxes_arrived(self, info, faces, error) -> None:
        viewer = self.viewer
        current = viewer.model.info(viewer.row) if viewer.model is not None and viewer.row >= 0 else None
        if error is not None or current is None or current.id != info.id or not viewer.faces_button.isChecked():
            return
        self.photo_id = info.id
        self.faces = {f.id: f for f in faces}
        width, height = info.width or 1, info.height or 1
        boxes = []
        for f in faces:
            x, y, w, h = f.box
            label = f.person_name or (_tr("Unclear") if not f.recognisable else _tr("Who is this?"))
            boxes.append((f.id, QRectF(x / width, y / height, w / width, h / height), label))
        viewer.canvas.set_boxes(boxes)

    def box_clicked(self, face_id: int, pos) -> None:
        menu = self.menu_for(face_id)
        if menu is not None:
            menu.popup(pos)

    def menu_for(self, face_id: int) -> QMenu | None:
        face = self.faces.get(face_id)
        if face is None:
            return None
        menu = QMenu(self.viewer)
        title = menu.addAction(face.person_name or _tr("Unknown face"))
        title.setEnabled(False)
        menu.addAction(_tr("Name…") if not face.person_name else _tr("Someone Else…"),
                       lambda: self.ask_name(face_id))
        if face.person_id is not None:
            menu.addAction(_tr("Not {name}").format(name=face.person_name or _tr("This Person")),
                           lambda: self.not_this_person(face_id))
            menu.addAction(_tr("Show Their Photos"), lambda: self.view.open_person(face.person_id))
        self.last_menu = menu
        return menu

    def ask_name(self, face_id: int) -> None:
        names = sorted({c.name for c in self.view.cards if c.name}, key=str.casefold)
        name, ok = QInputDialog.getItem(self.viewer, _tr("Who is this?"), _tr("Name:"), names, -1, True)
        if ok and name.strip():
            self.name_face(face_id, name)

    def name_face(self, face_id: int, name: str) -> None:
        """A face in an unnamed group names the group (a name in use merges it); else the face alone goes to
        the person of that name (a new one if nobody has it)."""
        face = self.faces.get(face_id)
        name = name.strip()
        if face is None or not name:
            return
        card = next((c for c in self.view.cards if c.id == face.person_id), None)
        if face.person_id is not None and card is not None and card.name is None:
            self.view.name_person(face.person_id, name)
            return
        people = self.library.people
        self.view._change(lambda: people.name_faces([face_id], name), _tr("This face is {name}.").format(name=name))

    def not_this_person(self, face_id: int) -> None:
        people = self.library.people
        self.view._change(lambda: people.remove_faces([face_id]), _tr("Took the face away from that person."))
