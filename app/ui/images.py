"""Images decoded off the GUI thread, newest request first, kept in a small LRU cache.

The grid asks for far more thumbnails than it will show when the user scrolls fast; requests are kept in a
bounded "wanted" list and the workers always take the most recent one, so what is on screen now loads first
and what scrolled by long ago is dropped. Workers decode into QImage (thread-safe, unlike QPixmap) and post the
result back with a queued signal (the pattern of Picard's `thread.run_task`).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Callable, Hashable

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

log = logging.getLogger(__name__)


def read_image(path: str, max_side: int | None = None) -> QImage:
    """Decode an image with its EXIF orientation applied; large ones are scaled while decoding (JPEG's DCT
    scaling), which is much faster and lighter than decoding at full size first. Returns a null QImage when the
    file is missing or unreadable."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    if max_side:
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > max_side:
            reader.setScaledSize(size.scaled(QSize(max_side, max_side), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return image if not image.isNull() else QImage()


def rotated(image: QImage | None, degrees: int) -> QImage | None:
    """`image` turned clockwise by the user's rotation (app.core.organise); the stored thumbnail is unturned."""
    if image is None or image.isNull() or not degrees % 360:
        return image
    from PySide6.QtGui import QTransform

    return image.transformed(QTransform().rotate(degrees % 360))


class ImageCache:
    """Least-recently-used images, bounded by decoded bytes (not by count: previews are 40x a thumbnail)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._images: OrderedDict[Hashable, QImage] = OrderedDict()
        self._bytes = 0
        # Keys of the null images (failed reads): they take no bytes, so thousands collect while scrolling a
        # library whose thumbnails are still being made, and asking each cached image isNull() on every refresh
        # of an import cost the GUI thread up to 10 ms.
        self._failed: set[Hashable] = set()

    def get(self, key: Hashable) -> QImage | None:
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
        return image

    def put(self, key: Hashable, image: QImage) -> None:
        self.discard(key)
        self._images[key] = image
        if image.isNull():
            self._failed.add(key)
        self._bytes += image.sizeInBytes()
        while self._bytes > self.max_bytes and len(self._images) > 1:
            evicted, old = self._images.popitem(last=False)
            self._failed.discard(evicted)
            self._bytes -= old.sizeInBytes()

    def discard(self, key: Hashable) -> None:
        old = self._images.pop(key, None)
        if old is not None:
            self._bytes -= old.sizeInBytes()
            self._failed.discard(key)

    def discard_failed(self) -> None:
        """Forget null (failed) images so that they are tried again, e.g. after an import wrote them."""
        for key in self._failed:
            self._images.pop(key, None)
        self._failed.clear()

    def clear(self) -> None:
        self._images.clear()
        self._failed.clear()
        self._bytes = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._images)


class _Signals(QObject):
    loaded = Signal(object, QImage)


class _Worker(QRunnable):
    """Takes the newest wanted image until none is left, then ends (the loader starts another when needed)."""

    def __init__(self, loader: "ImageLoader"):
        super().__init__()
        self._loader = loader

    def run(self) -> None:
        while (job := self._loader._take()) is not None:
            key, path, max_side = job
            image = read_image(path, max_side)
            if image.isNull() and self._loader._repaired_once(key):
                image = read_image(path, max_side)
            self._loader._signals.loaded.emit(key, image)


class ImageLoader(QObject):
    """`image(key, path)` returns the cached image or None and loads it; `image_ready(key)` says it arrived."""

    image_ready = Signal(object)

    def __init__(self, *, threads: int = 2, cache_bytes: int = 96 * 1024 * 1024, max_wanted: int = 256, parent=None):
        super().__init__(parent)
        self.cache = ImageCache(cache_bytes)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._threads = threads
        self._max_wanted = max_wanted
        self._lock = threading.Lock()
        self._wanted: OrderedDict[Hashable, tuple[str, int | None]] = OrderedDict()
        self._in_flight: set[Hashable] = set()
        self._workers = 0
        self._signals = _Signals()
        self._signals.loaded.connect(self._on_loaded)
        self._repair: Callable[[Hashable], bool] | None = None
        self._repair_tried: set[Hashable] = set()

    def set_repair(self, repair: Callable[[Hashable], bool] | None) -> None:
        """`repair(key)` remakes a missing or broken image file (on a worker thread) and says whether it did;
        it is asked once per key, so an image that cannot be repaired costs one try, not one per paint."""
        self._repair = repair
        with self._lock:
            self._repair_tried.clear()

    def _repaired_once(self, key: Hashable) -> bool:
        repair = self._repair
        with self._lock:
            if repair is None or key in self._repair_tried:
                return False
            self._repair_tried.add(key)
        try:
            return bool(repair(key))
        except Exception:  # noqa: BLE001 - a failed repair leaves the cell empty; the reason goes to the log
            log.exception("could not repair the image for %s", key)
            return False

    def image(self, key: Hashable, path: str, max_side: int | None = None) -> QImage | None:
        """The image if cached (a null QImage means it could not be read), else None after queueing a load."""
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        self.request(key, path, max_side)
        return None

    def cached(self, key: Hashable) -> QImage | None:
        return self.cache.get(key)

    def request(self, key: Hashable, path: str, max_side: int | None = None) -> None:
        start_worker = False
        with self._lock:
            if key in self._in_flight:
                return
            self._wanted[key] = (path, max_side)
            self._wanted.move_to_end(key)
            while len(self._wanted) > self._max_wanted:
                self._wanted.popitem(last=False)  # scrolled past long ago
            if self._workers < self._threads:
                self._workers += 1
                start_worker = True
        if start_worker:
            self._pool.start(_Worker(self))

    def _take(self) -> tuple[Hashable, str, int | None] | None:
        with self._lock:
            if not self._wanted:
                self._workers -= 1
                return None
            key, (path, max_side) = self._wanted.popitem(last=True)
            self._in_flight.add(key)
            return key, path, max_side

    def _on_loaded(self, key: Hashable, image: QImage) -> None:
        with self._lock:
            self._in_flight.discard(key)
        self.cache.put(key, image)
        self.image_ready.emit(key)

    def retry_failed(self) -> None:
        self.cache.discard_failed()

    def clear(self) -> None:
        with self._lock:
            self._wanted.clear()
        self.cache.clear()

    def shutdown(self) -> None:
        """Drop queued work and wait for the images being decoded now (at most a few milliseconds each)."""
        with self._lock:
            self._wanted.clear()
        self._pool.waitForDone()
