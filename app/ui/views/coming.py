"""Views that are coming (People, Activity): disabled sidebar entries that say why, so the
shape of the app is visible without pretending those features exist. Each becomes its own module when built."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.ui.views import Mode, View


def _tr(text: str) -> str:
    return QCoreApplication.translate("ComingViews", text)


class _Coming(View):
    enabled = False

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr(self.title)
        self.why_disabled = _tr(self.why_disabled)


class PeopleView(_Coming):
    mode = Mode.PEOPLE
    title = "People"
    why_disabled = "Faces are not detected yet: grouping photos by person arrives in a later version."
