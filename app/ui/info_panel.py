"""What is known about the selected photo: date, camera, lens, size, place and where its files are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.ui import format as fmt

if TYPE_CHECKING:
    from app.core.photos import PhotoInfo

FIELDS = ["Date", "Camera", "Lens", "Dimensions", "File size", "Location", "Files", "Status"]


class InfoPanel(QScrollArea):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        outer = QVBoxLayout(body)
        self.title = QLabel("No photo selected")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        outer.addWidget(self.title)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.values: dict[str, QLabel] = {}
        for name in FIELDS:
            value = QLabel("")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[name] = value
            form.addRow(f"{name}:", value)
        outer.addLayout(form)
        outer.addStretch(1)
        self.setWidget(body)
        self.setMinimumWidth(240)
        self.show_info(None)

    def show_info(self, info: "PhotoInfo | None", selected: int = 1) -> None:
        if info is None:
            self.title.setText(f"{fmt.count(selected, 'photo')} selected" if selected > 1 else "No photo selected")
            for value in self.values.values():
                value.setText("")
            return
        name = info.path.rsplit("/", 1)[-1] if info.path else f"Photo {info.id}"
        self.title.setText(name if selected <= 1 else f"{name} (and {selected - 1:,} more selected)")
        source = f" ({info.taken_at_source})" if info.taken_at_source else ""
        camera = info.camera  # "Canon EOS 5D", never "Canon Canon EOS 5D"
        dims = f"{info.width} × {info.height}" if info.width and info.height else "Unknown"
        files = [p + ("  (missing)" if p in info.missing_paths else "") for p in info.paths]
        self.values["Date"].setText(fmt.date_time(info.taken_at, info.tz_offset) + source)
        self.values["Camera"].setText(camera or "Unknown")
        self.values["Lens"].setText(info.lens or "Unknown")
        self.values["Dimensions"].setText(f"{dims}{', ' + info.format if info.format else ''}")
        self.values["File size"].setText(fmt.file_size(info.size))
        self.values["Location"].setText(fmt.position(info.gps_lat, info.gps_lon, info.gps_alt))
        self.values["Files"].setText("\n".join(files) or "None")
        self.values["Status"].setText(info.status + (", hidden" if info.hidden else ""))
