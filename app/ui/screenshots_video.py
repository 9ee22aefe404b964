"""Screenshots of video clips for docs/screenshots: the grid with duration badges and the viewer playing a clip:
`xvfb-run -a -s "-screen 0 1440x900x24" python -m app.ui.screenshots_video docs/screenshots`.

The demo folder holds painted photos and clips written with PyAV (three painted scenes each, panning slowly),
imported through the importer. The screen is grabbed, not rendered. Where the video surface cannot be grabbed
(the offscreen platform draws no native video surface), the frame the player shows is painted over it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication

from app.ui.screenshots import _wait


def write_demo_clip(path: Path, seeds: list[int], *, seconds: float = 4.0, fps: int = 15, size=(640, 360)) -> Path:
    """Painted scenes (app.bench.gui.paint_scene), each panning slowly, as an H.264 MP4 (or VP8 WebM)."""
    import av
    import numpy as np

    from app.bench.gui import paint_scene

    width, height = size
    with av.open(str(path), "w") as container:
        container.metadata["creation_time"] = "2024-07-14T16:20:00Z"
        stream = container.add_stream("libvpx" if path.suffix == ".webm" else "libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for seed in seeds:
            scene = np.asarray(paint_scene(seed, width + 120, height).convert("RGB"))
            frames = round(seconds * fps)
            for i in range(frames):
                shift = i * 120 // frames
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(scene[:, shift:shift + width]), format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _grab_with_video(app: QApplication, window, player, path: Path) -> None:
    """Grab the window; paint the player's current frame over its video widget when the grab left it empty."""
    _wait(app, 0.4)
    pixmap = window.screen().grabWindow(window.winId())
    video = player.video
    frame = player.current_frame()
    corner = video.mapTo(window, QPoint(0, 0))
    centre = pixmap.toImage().pixelColor(corner.x() + video.width() // 2, corner.y() + video.height() // 2)
    if not frame.isNull() and centre.value() in (0, 239, 240, 255):  # black or blank: nothing was drawn there
        painter = QPainter(pixmap)
        scaled = frame.scaled(video.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        painter.fillRect(corner.x(), corner.y(), video.width(), video.height(), 0)
        painter.drawImage(corner.x() + (video.width() - scaled.width()) // 2,
                          corner.y() + (video.height() - scaled.height()) // 2, scaled)
        painter.end()
        print("painted the player's frame over the video surface")
    pixmap.save(str(path))
    print(f"wrote {path} ({pixmap.width()}x{pixmap.height()})")


def main(out: Path) -> int:
    from PySide6.QtMultimedia import QMediaPlayer

    from app.bench.gui import write_photos
    from app.core.library import Library
    from app.ui.application import create_app
    from app.ui.main_window import MainWindow
    from app.ui.palette import apply_system_palette
    from app.ui.screenshots import _grab
    from app.ui.settings import AppSettings

    out.mkdir(parents=True, exist_ok=True)
    app: QApplication = create_app(["shoebox-screenshots"])
    apply_system_palette(app, force_dark=False)
    work = Path(tempfile.mkdtemp(prefix="shoebox-shots-video-"))
    folder = work / "Pictures" / "Summer"
    write_photos(folder, 14, seed=11, size=(900, 600), start_year=2024)
    write_demo_clip(folder / "VID_beach.mp4", [21, 22, 23])
    write_demo_clip(folder / "VID_garden.mp4", [31, 32], seconds=5.0)
    write_demo_clip(folder / "VID_walk.webm", [41, 42, 43], seconds=3.0)
    with Library.open(work / "Library", log_to_file=False, create=True) as library:
        library.importer.import_paths([folder], progress=False)

    window = MainWindow(AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                        remember=False)
    window.open_library(work / "Library")
    window.resize(1400, 860)
    window.show()
    _wait(app, 10.0, until=lambda: window.browser.loaded)
    rows = [r for r in range(window.grid_model.rowCount()) if window.grid_model.info(r).media == "video"]
    window.grid_view.select_row(rows[0])
    _wait(app, 3.0)
    _grab(app, window, out / "video-grid.png")

    window.browser.open_viewer(rows[0])
    player = window.viewer.video_player
    _wait(app, 20.0, until=lambda: player.player.position() > 5500)  # into the second scene, playing
    assert player.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    _grab_with_video(app, window, player, out / "video-viewer.png")
    window.browser.close_viewer(rows[0])
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
