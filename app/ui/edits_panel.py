"""The info panel's editable part: stars, favourite, reject, title, description and tags of the selected photos.

Shows the current photo's values; a change applies to every selected photo (through OrganiseActions, so it is
undoable like the menu's actions). Title and description are saved when the field is left or Enter is pressed.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QToolButton, QWidget

from app.ui.badges import CROSS, HEART, STAR
from app.ui.text_box import TextBox


def _tr(text: str) -> str:
    return QCoreApplication.translate("EditsPanel", text)


def _narrowable(widget: QWidget) -> None:
    """Take the panel's width, whatever it is (never push the panel wider)."""
    policy = widget.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    widget.setSizePolicy(policy)
    widget.setMinimumWidth(40)



class EditsPanel(QWidget):
    def __init__(self, actions, parent=None):
        super().__init__(parent)
        self.actions = actions
        self.info = None
        form = QFormLayout(self)
        form.setContentsMargins(0, 8, 0, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        stars_row = QHBoxLayout()
        stars_row.setSpacing(0)
        self.stars: list[QToolButton] = []
        for n in range(1, 6):
            button = QToolButton(text=STAR, autoRaise=True, toolTip=_tr("{n} stars (key {n})").format(n=n))
            font = button.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            button.setFont(font)
            button.clicked.connect(lambda _=False, n=n: self._rate(n))
            self.stars.append(button)
            stars_row.addWidget(button)
        stars_row.addStretch(1)
        form.addRow(_tr("Rating:"), stars_row)
        flags_row = QHBoxLayout()
        flags_row.setSpacing(4)
        self.favourite = QToolButton(text=HEART + " " + _tr("Favourite"), autoRaise=True, checkable=True,
                                     toolTip=_tr("Favourite (F or .)"))
        self.favourite.clicked.connect(lambda checked: actions.set_favourite(checked))
        self.rejected = QToolButton(text=CROSS + " " + _tr("Reject"), autoRaise=True, checkable=True,
                                    toolTip=_tr("Rejected (X)"))
        self.rejected.clicked.connect(lambda checked: actions.set_rejected(checked))
        flags_row.addWidget(self.favourite)
        flags_row.addWidget(self.rejected)
        flags_row.addStretch(1)
        form.addRow("", flags_row)

        self.title = QLineEdit()
        _narrowable(self.title)
        self.title.setPlaceholderText(_tr("Add a title"))
        self.title.editingFinished.connect(self._save_title)
        form.addRow(_tr("Title:"), self.title)
        self.description = TextBox()
        _narrowable(self.description)
        self.description.setPlaceholderText(_tr("Add a description"))
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 10)
        self.description.left.connect(self._save_description)
        form.addRow(_tr("Description:"), self.description)

        tags_row = QHBoxLayout()
        self.tags = QLabel()
        self.tags.setWordWrap(True)
        _narrowable(self.tags)
        self.add_tags = QToolButton(text="+", autoRaise=True, toolTip=_tr("Add tags (T)"))
        self.add_tags.clicked.connect(actions.ask_add_tags)
        tags_row.addWidget(self.tags, 1)
        tags_row.addWidget(self.add_tags, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow(_tr("Tags:"), tags_row)
        self.show_info(None)

    def show_info(self, info, selected: int = 1) -> None:
        """Follow the current photo (PhotoBrowser.current_changed)."""
        self.info = info
        self.setEnabled(info is not None)
        rating = info.rating if info is not None else 0
        for n, button in enumerate(self.stars, start=1):
            button.setStyleSheet("color: #f5b800;" if n <= rating else "color: gray;")
        self.favourite.setChecked(bool(info is not None and info.favourite))
        self.favourite.setStyleSheet("color: #e0406a;" if self.favourite.isChecked() else "")
        self.rejected.setStyleSheet("color: #d04030;" if self.rejected.isChecked() else "")
        self.rejected.setChecked(bool(info is not None and info.rejected))
        if not self.title.hasFocus():
            self.title.setText(info.title or "" if info is not None else "")
        if not self.description.hasFocus():
            self.description.setPlainText(info.description or "" if info is not None else "")
        self.tags.setText(", ".join(info.tags) if info is not None and info.tags else _tr("None"))

    def rating_shown(self) -> int:
        return sum(1 for b in self.stars if "f5b800" in b.styleSheet())

    def _rate(self, stars: int) -> None:
        if self.info is not None and self.info.rating == stars:
            stars = 0  # clicking the current rating clears it, as in Lightroom
        self.actions.set_rating(stars)

    def _save_title(self) -> None:
        if self.info is not None and (self.title.text().strip() or None) != self.info.title:
            self.actions.set_title(self.title.text())

    def _save_description(self) -> None:
        text = self.description.toPlainText()
        if self.info is not None and (text.strip() or None) != self.info.description:
            self.actions.set_description(text)
