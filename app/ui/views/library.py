"""Library: every photo, newest first; the sidebar lists years and months: picking one filters the grid to it
(`date:2019-07`, the filter bar's removable chip, as clicking a date header does); the Library entry itself
shows every date again."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.ui import format as fmt
from app.ui.views import Mode, Place, PlaceRole, View, sidebar_child


def _tr(text: str) -> str:
    return QCoreApplication.translate("LibraryView", text)


class LibraryView(View):
    mode = Mode.LIBRARY
    shortcut = "Ctrl+1"

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("Library")
        self.total: int | None = None
        self._shown = None  # the (total, months) the sidebar shows: an equal answer leaves it as it is
        context.browser.filter_bar.changed.connect(self._follow_period)

    def set_library(self, library) -> None:
        super().set_library(library)
        self.total = None
        self._shown = None
        item = self.sidebar_item()
        item.setText(0, self.title)
        item.takeChildren()

    def activate(self, place: Place) -> None:
        if self.library is None:  # closing: the sidebar's entries are taken away
            return
        period = place.value if isinstance(place.value, str) else ""  # a row (photos with no date): scroll there
        self.context.browser.show_source(
            Place(self.mode), self.library.photos.ordered_ids, lambda rows: fmt.count(rows, _tr("photo")),
            _tr("<h2>No photos yet</h2><p>Drop folders or photos here, or use File → Import Folder…</p>"),
            scroll_to_row=place.value if isinstance(place.value, int) else None, period=period)

    def _follow_period(self) -> None:
        """The sidebar marks the period shown (a date header clicked, the chip cleared) without navigating, so
        picking the same month again after clearing it filters again."""
        if not self.is_current or self.library is None:
            return
        period = self.context.browser.filter_bar.period
        item = self.sidebar_item()
        found = item
        for year in (item.child(i) for i in range(item.childCount())):
            if _period_of(year) == period:
                found = year
            for month in (year.child(j) for j in range(year.childCount())):
                if _period_of(month) == period:
                    found = month
        tree = item.treeWidget()
        if tree is not None and tree.currentItem() is not found:
            tree.blockSignals(True)
            tree.setCurrentItem(found)
            tree.blockSignals(False)

    def refresh(self, active: bool) -> None:
        if self.library is None:
            return
        photos = self.library.photos
        self.context.reader.read("sidebar-library", lambda: (photos.count(), photos.month_counts()),
                                 self._show_months)

    def _show_months(self, result, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("The library's dates could not be read: {error}").format(error=error),
                                        error, key="sidebar")
            return
        total, months = result
        self.total = total
        if result == self._shown:  # background work commits every second: rebuilding ~200 items each time
            return  # cost the GUI thread up to 20 ms for nothing
        self._shown = result
        item = self.sidebar_item()
        tree = item.treeWidget()
        if tree is not None:
            tree.blockSignals(True)
        item.setText(0, _tr("Library  ({total})").format(total=f"{total:,}"))
        expanded = {item.child(i).text(0) for i in range(item.childCount()) if item.child(i).isExpanded()}
        item.takeChildren()
        row = 0
        years = {}
        for month in months:
            year = month.month[:4] if month.month else _tr("No date")
            if year not in years:  # photos with no date cannot be filtered to: that entry scrolls to them
                years[year] = sidebar_child(item, year, Place(self.mode, year if month.month else row))
                years[year].setExpanded(year in expanded)
            if month.month:
                sidebar_child(years[year], f"{fmt.month_label(month.month)}  ({month.count:,})",
                              Place(self.mode, month.month))
            row += month.count
        item.setExpanded(True)
        if tree is not None:
            tree.blockSignals(False)
        self._follow_period()


def _period_of(item) -> str | None:
    place = item.data(0, PlaceRole)
    return place.value if isinstance(place, Place) and isinstance(place.value, str) else None
