"""Video clips in the window: the grid's duration badge, and the viewer playing a clip with its controls."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from app.ui import format as fmt
from app.ui.badges import paint_video_badge
from app.ui.settings import AppSettings
from video_clips import checker, solid, write_clip

pytest.importorskip("av")

# The offscreen platform's own complaints (no window system to pass size hints to, no GPU for the video
# surface, which then converts frames on the CPU): the test platform talking, not the app.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints", "No RHI backend")


def test_duration_labels():
    assert [fmt.duration(s) for s in (None, 0, 6.4, 65, 3723)] == ["", "0:00", "0:06", "1:05", "1:02:03"]


def test_the_badge_marks_clips_only(qtbot):
    class Info:
        media, duration_s = "video", 75.0

    def painted(info) -> QImage:
        image = QImage(200, 200, QImage.Format.Format_RGB32)
        image.fill(QColor(255, 255, 255))
        painter = QPainter(image)
        paint_video_badge(painter, QRect(0, 0, 200, 200), info)
        painter.end()
        return image

    assert painted(Info()).pixelColor(190, 190) != QColor(255, 255, 255)  # a dark pill in the corner
    Info.media = "photo"
    assert painted(Info()).pixelColor(190, 190) == QColor(255, 255, 255)


@pytest.fixture
def window_with_clip(library, qtbot, tmp_path):
    from app.ui.main_window import MainWindow

    src = tmp_path / "src"
    write_clip(src / "clip.mp4", [solid((200, 30, 30)), checker((30, 30, 200), (230, 220, 40)), solid((30, 200, 30))],
               metadata={"creation_time": "2024-06-01T10:00:00Z"})
    library.importer.import_paths([src], progress=False)
    window = MainWindow(AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    assert window.open_library(library.root)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.browser.loaded)
    yield window
    window.close()


def test_the_viewer_plays_a_clip(window_with_clip, qtbot):
    from PySide6.QtMultimedia import QMediaPlayer

    window = window_with_clip
    assert window.grid_model.info(0).media == "video"
    grid = window.grid_view
    grid.setFocus()
    grid.setCurrentIndex(window.grid_model.index(0))
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    viewer = window.viewer
    player = viewer.video_player
    assert player is not None and viewer.stack.currentWidget() is player
    media = player.player
    qtbot.waitUntil(lambda: media.playbackState() == QMediaPlayer.PlaybackState.PlayingState, timeout=20_000)
    qtbot.waitUntil(lambda: media.duration() > 5000 and media.position() > 0, timeout=20_000)
    assert player.seek.maximum() == media.duration()
    qtbot.waitUntil(lambda: player.time.text().endswith("/ 0:06"), timeout=10_000)
    qtbot.waitUntil(lambda: not player.current_frame().isNull(), timeout=20_000)

    qtbot.keyClick(viewer, Qt.Key.Key_Space)  # pauses the clip (no slideshow)
    assert media.playbackState() == QMediaPlayer.PlaybackState.PausedState
    assert not viewer.slideshow.isActive()
    player.mute_button.click()
    assert player.audio.isMuted() and not player.volume.isEnabled()
    player.seek.setSliderPosition(3000)
    player.seek.sliderReleased.emit()
    qtbot.waitUntil(lambda: abs(media.position() - 3000) < 600, timeout=10_000)
    viewer.show_row(0)  # shown again (after an edit, a refresh): the clip goes on where it was, still paused
    assert media.position() > 2000 and media.playbackState() == QMediaPlayer.PlaybackState.PausedState

    qtbot.keyClick(viewer, Qt.Key.Key_Escape)  # back to the grid: the player lets go of the file
    assert media.source().isEmpty() and viewer.stack.currentWidget() is viewer.canvas
