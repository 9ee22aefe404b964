"""Views that are coming (Events, Albums, Activity): disabled sidebar entries that say why, so the
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


class EventsView(_Coming):
    mode = Mode.EVENTS
    title = "Events"
    why_disabled = "Photos are not grouped into events yet: that arrives in a later version."


class AlbumsView(_Coming):
    mode = Mode.ALBUMS
    title = "Albums"
    why_disabled = "Albums are not available yet: they arrive in a later version."


class ActivityView(_Coming):
    mode = Mode.ACTIVITY
    title = "Activity"
    why_disabled = "A history of imports and background work arrives in a later version; the task panel (Ctrl+T) " \
                   "shows what runs now."
