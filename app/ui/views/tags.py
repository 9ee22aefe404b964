"""Tags: the sidebar lists the library's tags as a tree ("Places/Japan/Kyoto" under Places, then Japan) with
their photo counts; choosing one shows its photos, with those of the tags under it (`tag:` of the query
language)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.ui import format as fmt
from app.ui.views import Mode, Place, PlaceRole, View, sidebar_child


def _tr(text: str) -> str:
    return QCoreApplication.translate("TagsView", text)


def tag_query(name: str) -> str:
    return 'tag:"' + name.replace('"', "") + '"'


class TagsView(View):
    mode = Mode.TAGS

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("Tags")
        self.names: list[str] = []

    def sidebar_item(self):
        item = super().sidebar_item()
        item.setData(0, PlaceRole, None)  # the heading is not a place; its tags are
        return item

    def set_library(self, library) -> None:
        super().set_library(library)
        self.sidebar_item().takeChildren()

    def activate(self, place: Place) -> None:
        if place.value is None:
            return
        from app.core.search.query import run_query

        library, query = self.library, tag_query(place.value)
        self.context.browser.show_source(place, lambda: run_query(library, query),
                                         lambda rows: fmt.count(rows, _tr("photo")), _tr("No photos with this tag."))

    def refresh(self, active: bool) -> None:
        if self.library is not None:
            self.context.reader.read("sidebar-tags", self.library.organise.tags, self._show_tags)

    def _show_tags(self, tags, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("The tags could not be read: {error}").format(error=error), error,
                                        key="sidebar")
            return
        self.names = [t.name for t in tags]
        item = self.sidebar_item()
        tree = item.treeWidget()
        if tree is not None:
            tree.blockSignals(True)
        expanded = set()
        stack = [item]
        while stack:
            node = stack.pop()
            for i in range(node.childCount()):
                child = node.child(i)
                if child.isExpanded():
                    expanded.add(child.data(0, PlaceRole).value)
                stack.append(child)
        item.takeChildren()
        nodes = {}
        for tag in tags:
            path = ""
            parent = item
            for part in tag.name.split("/"):
                path = f"{path}/{part}" if path else part
                node = nodes.get(path.lower())
                if node is None:
                    node = nodes[path.lower()] = sidebar_child(parent, part, Place(self.mode, path), path)
                    node.setExpanded(path in expanded)
                parent = node
            parent.setText(0, f"{tag.name.rsplit('/', 1)[-1]}  ({tag.count:,})")
        item.setHidden(not tags)  # no tags yet: no empty heading
        if tree is not None:
            tree.blockSignals(False)
