"""The grid's model: an ordered list of photo ids, with photo details fetched a page at a time on demand.

Holding only ids keeps a 100,000-photo library cheap to open (one indexed query, a few MB); details come from
`PhotoService.get_many` for the page around the first row the view paints, and thumbnails from the image
loader, which calls back when one arrives.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal

from app.ui.images import ImageLoader, rotated
from app.ui.workers import WINDOW_READS, Worker

if TYPE_CHECKING:
    from app.core.photos import PhotoInfo, PhotoService

log = logging.getLogger(__name__)

PhotoIdRole = Qt.ItemDataRole.UserRole + 1
InfoRole = Qt.ItemDataRole.UserRole + 2  # PhotoInfo, or None while it cannot be read
ThumbnailRole = Qt.ItemDataRole.UserRole + 3  # QImage when loaded (null if unreadable), else None
ScoreRole = Qt.ItemDataRole.UserRole + 4  # search score, or None outside search results
PHOTO_IDS_MIME = "application/x-shoebox-photo-ids"  # photos dragged from the grid (onto an album): "1,2,3"

PAGE_SIZE = 200
MAX_CACHED_INFOS = 4_000  # 20 pages: enough to scroll back; more only slows Python's garbage collector
# Above this many separate insert/remove runs a refresh resets the model instead (one relayout, not hundreds).
MAX_INCREMENTAL_RUNS = 200


def thumbnail_key(photo_id: int) -> tuple[str, int]:
    return ("grid", photo_id)


class PhotoGridModel(QAbstractListModel):
    """`thumbnail_arrived(row)` tells views to repaint one cell. It is deliberately not `dataChanged`: QListView
    answers every dataChanged with a full relayout (O(rows), 75 ms at 100k), once per arriving thumbnail."""

    thumbnail_arrived = Signal(int)
    edited = Signal()  # photos' details were edited (rating, rotation, ...): views repaint what they show
    # A sync's row inserts and removals are done: views that lay out per change (PhotoGridView, O(groups) each)
    # wait while `syncing` is True and lay out once on this (an import's refresh brings dozens of runs).
    synced = Signal()

    def __init__(self, photos: "PhotoService", loader: ImageLoader, parent=None):
        super().__init__(parent)
        self._photos = photos
        self._loader = loader
        self._ids: list[int] = []
        self._scores: dict[int, float] = {}
        self._infos: OrderedDict[int, "PhotoInfo"] = OrderedDict()
        self._turned: OrderedDict[int, tuple] = OrderedDict()  # photo id -> (source image, degrees, turned image)
        self._row_of: dict[int, int] | None = None
        self._asked: dict[int, int] = {}  # photo id -> row, of thumbnails requested and not arrived yet
        self._prefetcher = Worker(threads=1, parent=self, turns=WINDOW_READS)
        self._prefetching: set[int] = set()  # first ids of pages being read ahead
        self._last_page = -1
        self.version = 0  # moves on every change of the list (a sync worked out elsewhere checks it)
        self.syncing = False  # inside apply_sync's runs of inserts and removals (see `synced`)
        loader.image_ready.connect(self._on_image_ready)

    # -- what the view asks ------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        photo_id = self._ids[index.row()]
        if role == PhotoIdRole:
            return photo_id
        if role == ScoreRole:
            return self._scores.get(photo_id)
        if role not in (InfoRole, ThumbnailRole, Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        info = self.info(index.row())
        if role == InfoRole:
            return info
        if info is None:
            return None
        if role == ThumbnailRole:
            image = self._loader.image(thumbnail_key(photo_id), info.thumbnail)
            if image is None:  # requested: remember where, for when it arrives
                self._asked[photo_id] = index.row()
                if len(self._asked) > MAX_CACHED_INFOS:
                    self._asked.pop(next(iter(self._asked)))
            elif info.rotation:
                return self._turn(photo_id, image, info.rotation)
            return image
        name = Path(info.path).name if info.path else f"photo {photo_id}"
        if role == Qt.ItemDataRole.DisplayRole:
            return name
        return f"{name}\n{info.taken_at.replace('T', ' ') if info.taken_at else 'no date'}"

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
                | Qt.ItemFlag.ItemIsDragEnabled)

    def mimeTypes(self) -> list[str]:
        return [PHOTO_IDS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        """The dragged photos' ids, in grid order (dropped on an album in the sidebar to add them)."""
        data = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid() and i.row() < len(self._ids)})
        data.setData(PHOTO_IDS_MIME, ",".join(str(self._ids[r]) for r in rows).encode())
        return data

    def _turn(self, photo_id: int, image, degrees: int):
        """The thumbnail turned as the user rotated the photo, kept while the same image and rotation last."""
        kept = self._turned.get(photo_id)
        if kept is not None and kept[0] is image and kept[1] == degrees:
            return kept[2]
        turned = rotated(image, degrees)
        self._turned[photo_id] = (image, degrees, turned)
        while len(self._turned) > 500:
            self._turned.popitem(last=False)
        return turned

    def forget(self, photo_ids: Iterable[int] | None = None) -> None:
        """Read these photos' details again (all when None) after they were edited, and repaint them."""
        if photo_ids is None:
            self._infos.clear()
        else:
            for photo_id in photo_ids:
                self._infos.pop(photo_id, None)
        self.version += 1
        self.edited.emit()

    # -- lookups for controllers -------------------------------------------------------------------------
    @property
    def ids(self) -> Sequence[int]:
        return self._ids

    def photo_id(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, photo_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {pid: row for row, pid in enumerate(self._ids)}
        return self._row_of.get(photo_id)

    def _painted_row(self, photo_id: int) -> int | None:
        """The row of a photo whose thumbnail was asked for: where it was asked, or near it if rows moved
        since (a C-speed list search from there). Rebuilding `row_of` after every live insert would cost the
        GUI thread ~10 ms at 100k photos, once per arriving thumbnail."""
        if self._row_of is not None:
            return self._row_of.get(photo_id)
        hint = self._asked.get(photo_id)
        if hint is None:
            return None
        if hint < len(self._ids) and self._ids[hint] == photo_id:
            return hint
        try:
            return self._ids.index(photo_id, max(0, hint - 5_000))
        except ValueError:
            try:
                return self._ids.index(photo_id)
            except ValueError:
                return None

    def info(self, row: int) -> "PhotoInfo | None":
        """Details of the photo at `row`; a miss loads the whole page around it in one query."""
        photo_id = self._ids[row]
        info = self._infos.get(photo_id)
        if info is None and photo_id not in self._infos:
            start = row - row % PAGE_SIZE
            page = [pid for pid in self._ids[start : start + PAGE_SIZE] if pid not in self._infos]
            for found in self._photos.get_many(page):
                self._infos[found.id] = found
            self._trim()
            info = self._infos.get(photo_id)
        page = row // PAGE_SIZE
        if page != self._last_page:
            self._last_page = page
            self._read_ahead(page - 1)
            self._read_ahead(page + 1)
        return info

    def _read_ahead(self, page: int) -> None:
        """Read a neighbouring page on a worker thread, so steady scrolling never waits for the database."""
        ids = self._ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE] if page >= 0 else []
        if not ids or ids[0] in self._prefetching or (ids[0] in self._infos and ids[-1] in self._infos):
            return
        self._prefetching.add(ids[0])
        photos = self._photos

        def merge(found, error, first=ids[0]):
            self._prefetching.discard(first)
            if error is not None:
                log.warning("reading photo details ahead failed: %s", error)  # the paint reads them instead
            else:
                for info in found:
                    self._infos.setdefault(info.id, info)
                self._trim()

        self._prefetcher.run(lambda: photos.get_many(ids), merge)

    def _trim(self) -> None:
        while len(self._infos) > MAX_CACHED_INFOS:
            self._infos.popitem(last=False)

    def wait(self) -> None:
        """Let a read-ahead finish (before the library closes)."""
        self._prefetcher.wait()

    # -- changing the list -------------------------------------------------------------------------------
    def set_ids(self, ids: Iterable[int], scores: dict[int, float] | None = None) -> None:
        """Show another list (a folder, search results): a reset, since little survives the switch."""
        self.version += 1
        self.beginResetModel()
        self._ids = list(ids)
        self._scores = dict(scores or {})
        self._row_of = None
        self._asked.clear()
        self._infos.clear()
        self._last_page = -1
        self.endResetModel()

    def sync_ids(self, ids: Iterable[int]) -> None:
        """Bring the list up to date with as few changes as possible, so that photos arriving during an
        import appear without losing the selection or the scroll position."""
        new = list(ids)
        self.apply_sync(new, plan_sync(self._ids, new))

    def apply_sync(self, new: list[int], plan: "SyncPlan | None") -> None:
        """Apply a plan from `plan_sync(self.ids, new)` (worked out on another thread: the diff of two 100k
        lists costs tens of milliseconds); None means a reset is cheaper."""
        if plan is None:
            self.set_ids(new)
            return
        removals, insertions = plan
        if not removals and not insertions:
            return
        self.version += 1
        self.syncing = True
        try:
            for start, end in reversed(removals):
                self.beginRemoveRows(QModelIndex(), start, end - 1)
                del self._ids[start:end]
                self._row_of = None
                self.endRemoveRows()
            for start, end in insertions:  # ascending: earlier inserts put later rows exactly where `new` has them
                self.beginInsertRows(QModelIndex(), start, end - 1)
                self._ids[start:start] = new[start:end]
                self._row_of = None
                self.endInsertRows()
        finally:
            self.syncing = False
        self._scores = {}
        self.synced.emit()

    def _on_image_ready(self, key) -> None:
        if not (isinstance(key, tuple) and key[0] == "grid"):
            return
        row = self._painted_row(key[1])
        self._asked.pop(key[1], None)
        if row is not None:
            self.thumbnail_arrived.emit(row)


SyncPlan = tuple[list[tuple[int, int]], list[tuple[int, int]]]  # removals (in old), insertions (in new)


def plan_sync(old: Sequence[int], new: Sequence[int]) -> SyncPlan | None:
    """The row removals and insertions that turn `old` into `new`, or None when the kept photos changed
    order or the changes are so scattered that one reset is cheaper. Pure: safe on any thread.

    This runs on the window's reader thread on every refresh that changed the list, and its time holds the GIL
    the GUI thread paints with: `bench gui --trace` found the refresh's read in every frame over 40 ms of an
    import. So the passes over the 100k ids are numpy's (membership by a lookup table, no hash set): ~6 ms,
    most of it turning the two lists into arrays, where sets and filters at C speed took ~20 ms."""
    if len(old) == len(new) and old == new:
        return [], []
    import numpy as np  # loaded by the window by now (never before its first paint: the first list is no sync)

    before, after = np.asarray(old, dtype=np.int64), np.asarray(new, dtype=np.int64)
    added = ~np.isin(after, before)
    removed = ~np.isin(before, after)
    # Were ids repeated, the kept lists differ in length or order: a reset.
    if not np.array_equal(before[~removed], after[~added]):
        return None
    removals, insertions = _runs(np.flatnonzero(removed)), _runs(np.flatnonzero(added))
    if len(removals) + len(insertions) > MAX_INCREMENTAL_RUNS:
        return None
    return removals, insertions


def _runs(positions) -> list[tuple[int, int]]:
    """[start, end) ranges of consecutive positions (an ascending numpy array)."""
    import numpy as np

    if not len(positions):
        return []
    breaks = np.flatnonzero(np.diff(positions) != 1)
    starts = np.concatenate((positions[:1], positions[breaks + 1]))
    ends = np.concatenate((positions[breaks] + 1, positions[-1:] + 1))
    return list(zip(starts.tolist(), ends.tolist()))
