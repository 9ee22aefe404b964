"""What is known about the selected photo: date, camera, lens, size, place and where its files are.

Everything wraps to the panel's width, never beyond it: values take the width they are given (not the width of
their longest unbreakable run), and paths and names may break after separators, so a long path costs lines, not
a horizontal scroll bar with the seconds of the date cut off.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from app.ui import format as fmt

if TYPE_CHECKING:
    from app.core.photos import PhotoInfo

FIELDS = ["Date", "Camera", "Lens", "Dimensions", "File size", "Location", "Files", "Status"]
BREAK_AFTER = "/\\_-."
ZWSP = "\u200b"


def _tr(text: str) -> str:
    return QCoreApplication.translate("InfoPanel", text)


def breakable(text: str) -> str:
    """`text` with invisible break opportunities after path separators, '_', '-' and '.'."""
    return "".join(ch + ZWSP if ch in BREAK_AFTER else ch for ch in text)


def _wrapping_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    policy = label.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)  # take the panel's width, then wrap in it
    label.setSizePolicy(policy)
    label.setMinimumWidth(40)
    return label


class InfoPanel(QScrollArea):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        outer = QVBoxLayout(body)
        self.title = _wrapping_label(_tr("No photo selected"))
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        outer.addWidget(self.title)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.values: dict[str, QLabel] = {}
        for name in FIELDS:
            value = _wrapping_label()
            self.values[name] = value
            form.addRow(_tr(name) + ":", value)
        outer.addLayout(form)
        self._sections = outer  # add_section puts more below the fields
        self.form = form
        outer.addStretch(1)
        self.setWidget(body)
        self.setMinimumWidth(200)
        self.show_info(None)

    def add_section(self, widget: QWidget) -> None:
        """Another part of the panel (the editable rating, title and tags), below the fields."""
        self._sections.insertWidget(self._sections.count() - 1, widget)

    def add_field(self, name: str) -> QLabel:
        """A row another part of the app fills (People in this photo); cleared when the photo changes."""
        if name not in self.values:
            value = _wrapping_label()
            self.values[name] = value
            self.form.addRow(_tr(name) + ":", value)
        return self.values[name]

    def text(self, field: str) -> str:
        """A value as the user reads it (without the invisible break opportunities)."""
        return self.values[field].text().replace(ZWSP, "")

    def title_text(self) -> str:
        return self.title.text().replace(ZWSP, "")

    def show_info(self, info: "PhotoInfo | None", selected: int = 1) -> None:
        if info is None:
            self.title.setText(_tr("{count} selected").format(count=fmt.count(selected, "photo")) if selected > 1
                               else _tr("No photo selected"))
            for value in self.values.values():
                value.setText("")
            return
        name = PurePath(info.path).name if info.path else _tr("Photo {id}").format(id=info.id)
        self.title.setText(breakable(name) if selected <= 1 else
                           breakable(name) + " " + _tr("(and {more} more selected)").format(more=f"{selected - 1:,}"))
        source = f" ({info.taken_at_source})" if info.taken_at_source else ""
        camera = info.camera  # "Canon EOS 5D", never "Canon Canon EOS 5D"
        dims = f"{info.width} × {info.height}" if info.width and info.height else _tr("Unknown")
        files = [breakable(p) + ("  " + _tr("(missing)") if p in info.missing_paths else "") for p in info.paths]
        self.values["Date"].setText(fmt.date_time(info.taken_at, info.tz_offset) + source)
        self.values["Camera"].setText(camera or _tr("Unknown"))
        self.values["Lens"].setText(info.lens or _tr("Unknown"))
        length = fmt.duration(getattr(info, "duration_s", None)) if getattr(info, "media", "photo") == "video" else ""
        self.values["Dimensions"].setText(f"{dims}{', ' + info.format if info.format else ''}"
                                          f"{', ' + length if length else ''}")
        self.values["File size"].setText(fmt.file_size(info.size))
        self.values["Location"].setText(fmt.position(info.gps_lat, info.gps_lon, info.gps_alt))
        self.values["Files"].setText("\n".join(files) or _tr("None"))
        self.values["Status"].setText(info.status + (", " + _tr("hidden") if info.hidden else ""))
