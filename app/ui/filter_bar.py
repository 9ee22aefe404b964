"""The bar above the grid: sort (date taken, date imported, file name, rating) and quick filters (favourites,
rating at least N, file type, has GPS, hide rejected, a date range). It turns the choices into a query of the
query language (`is:favourite rating:>=3 date:2019-06-01..2019-08-31`), and the browser refines whatever list
the view shows with it (app.core.browse)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QDate, QSize, Signal
from PySide6.QtWidgets import (QComboBox, QDateEdit, QFormLayout, QHBoxLayout, QLabel, QMenu, QPushButton,
                               QToolButton, QWidget, QWidgetAction)

from app.ui.badges import HEART, STAR
from app.ui.format import period_label


def _tr(text: str) -> str:
    return QCoreApplication.translate("FilterBar", text)


MIN_WIDTH = 700  # px: the bar's controls without Dates… and the date chip (~696 px)
TYPES = ("jpeg", "heic", "png", "tiff", "webp", "gif", "video")


class FilterBar(QWidget):
    """Emits `changed()` when the sort or a filter changes."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.addWidget(QLabel(_tr("Sort:")))
        self.sort = QComboBox()
        for key, text in (("taken", _tr("Date taken")), ("imported", _tr("Date imported")),
                          ("name", _tr("File name")), ("rating", _tr("Rating"))):
            self.sort.addItem(text, key)
        layout.addWidget(self.sort)
        layout.addSpacing(12)
        self.favourites = QToolButton(text=HEART + " " + _tr("Favourites"), checkable=True, autoRaise=True)
        layout.addWidget(self.favourites)
        self.rating = QComboBox()
        self.rating.addItem(_tr("Any rating"), 0)
        for n in range(1, 6):
            self.rating.addItem(STAR * n + ("" if n == 5 else " +"), n)
        layout.addWidget(self.rating)
        self.type = QComboBox()
        self.type.addItem(_tr("Any type"), "")
        for kind in TYPES:
            self.type.addItem(kind.upper(), kind)
        layout.addWidget(self.type)
        self.gps = QToolButton(text=_tr("Has GPS"), checkable=True, autoRaise=True)
        layout.addWidget(self.gps)
        self.hide_rejected = QToolButton(text=_tr("Hide rejected"), checkable=True, autoRaise=True)
        layout.addWidget(self.hide_rejected)
        # A date range chosen by hand; it becomes the period below (its chip says the range and clears it).
        self.dates = QToolButton(text=_tr("Dates…"), autoRaise=True,
                                 toolTip=_tr("Show the photos taken between two dates"),
                                 popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        self.dates.setMenu(self._dates_menu())
        layout.addWidget(self.dates)
        # A period chosen by clicking a date header or a month ("date:2019-07"); its button clears it.
        self.period = ""
        self.period_button = QToolButton(autoRaise=True, toolTip=_tr("Show every date again"))
        self.period_button.clicked.connect(lambda: self.set_period(""))
        self.period_button.hide()
        layout.addWidget(self.period_button)
        self.clear = QToolButton(text=_tr("Clear"), autoRaise=True, toolTip=_tr("Show everything, by date taken"))
        self.clear.clicked.connect(self.reset)
        layout.addWidget(self.clear)
        layout.addStretch(1)
        for combo in (self.sort, self.rating, self.type):
            combo.currentIndexChanged.connect(self._changed)
        for button in (self.favourites, self.gps, self.hide_rejected):
            button.toggled.connect(self._changed)
        self._changed()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """At most what the bar needed before Dates… and a long date chip: those share the room there is rather
        than hold the window wider (the small-window layout below 1000 px needs the window to get that narrow)."""
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), MIN_WIDTH), hint.height())

    def sort_key(self) -> str:
        return self.sort.currentData()

    def query(self) -> str:
        parts = []
        if self.favourites.isChecked():
            parts.append("is:favourite")
        if self.rating.currentData():
            parts.append(f"rating:>={self.rating.currentData()}")
        if self.type.currentData():
            parts.append(f"type:{self.type.currentData()}")
        if self.gps.isChecked():
            parts.append("has:gps")
        if self.hide_rejected.isChecked():
            parts.append("-is:rejected")
        if self.period:
            parts.append(f"date:{self.period}")
        return " ".join(parts)

    def active(self) -> bool:
        return bool(self.query()) or self.sort_key() != "taken"

    def set_period(self, period: str) -> None:
        """Show only the photos taken in `period` ("2019-07", "2019-07-14"; "" for every date)."""
        self.period = period
        self.period_button.setText(period_label(period) + "  ✕" if period else "")
        self.period_button.setToolTip(_tr("{period}: show every date again").format(period=period_label(period)))
        self.period_button.setVisible(bool(period))
        self._changed()

    def _dates_menu(self) -> QMenu:
        menu = QMenu(self)
        box = QWidget()
        form = QFormLayout(box)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addYears(-1), calendarPopup=True, displayFormat="d MMM yyyy")
        self.date_to = QDateEdit(today, calendarPopup=True, displayFormat="d MMM yyyy")
        form.addRow(_tr("From:"), self.date_from)
        form.addRow(_tr("To:"), self.date_to)
        self.dates_apply = QPushButton(_tr("Show"), default=True)
        self.dates_apply.clicked.connect(lambda: (self.apply_dates(), menu.close()))
        form.addRow(self.dates_apply)
        action = QWidgetAction(menu)
        action.setDefaultWidget(box)
        menu.addAction(action)
        return menu

    def apply_dates(self) -> None:
        """The range in the From / To fields (either way round), both days included."""
        low, high = sorted((self.date_from.date(), self.date_to.date()))
        self.set_period(f"{low.toString('yyyy-MM-dd')}..{high.toString('yyyy-MM-dd')}")

    def reset(self) -> None:
        widgets = (self.sort, self.rating, self.type, self.favourites, self.gps, self.hide_rejected)
        for widget in widgets:
            widget.blockSignals(True)
        self.sort.setCurrentIndex(0)
        self.rating.setCurrentIndex(0)
        self.type.setCurrentIndex(0)
        for button in (self.favourites, self.gps, self.hide_rejected):
            button.setChecked(False)
        for widget in widgets:
            widget.blockSignals(False)
        self.period = ""
        self.period_button.hide()
        self._changed()

    def _changed(self, *_args) -> None:
        self.clear.setEnabled(self.active())
        self.changed.emit()
