"""The info panel's Place row: the offline place name of the current photo (city, region, country), read on the
reader thread when the current photo changes."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject

from app.ui.reader import Reader


def place_text(place) -> str:
    if place is None:
        return ""
    parts = [p for p in (place.city, place.region, place.country) if p]
    return ", ".join(dict.fromkeys(parts))


class PlaceField(QObject):
    def __init__(self, info_panel, browser, reader: Reader, parent=None):
        super().__init__(parent)
        self.label = info_panel.add_field(QCoreApplication.translate("InfoPanel", "Place"))
        self._form = info_panel.form
        self._form.setRowVisible(self.label, False)  # shown when the photo has a place: no empty "Place:" row
        self.reader = reader
        self.library = None
        browser.current_changed.connect(self.show_info)

    def set_library(self, library) -> None:
        self.library = library
        self._show("")

    def _show(self, text: str) -> None:
        self.label.setText(text)
        self._form.setRowVisible(self.label, bool(text))

    def show_info(self, info, _selected: int = 1) -> None:
        self._show("")
        if info is None or self.library is None or info.gps_lat is None:
            return
        places, photo_id = self.library.places, info.id

        def shown(place, error) -> None:
            if error is None and self.library is not None:
                self._show(place_text(place))

        self.reader.read("info-place", lambda: places.get(photo_id), shown)
