"""Plays a video clip in the viewer: QtMultimedia's QMediaPlayer drawing into a QVideoWidget, with the usual
controls under it (play/pause, a seek slider, the time, mute and volume). The viewer creates it the first time a
clip is shown, so opening photos never loads QtMultimedia."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QVBoxLayout, QWidget

from app.ui.format import duration


class VideoPlayer(QWidget):
    """Emits `failed(message)` when the clip cannot be played (the message is for the user)."""

    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.video = QVideoWidget()
        self.video.setMinimumSize(QSize(200, 150))
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.audio.setVolume(0.8)
        self.player.setAudioOutput(self.audio)
        self.player.setVideoOutput(self.video)
        self._path = ""

        style = self.style()
        self.play_button = QToolButton(autoRaise=True, toolTip=self.tr("Play or pause (Space)"))
        self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.clicked.connect(self.toggle_play)
        self.seek = QSlider(Qt.Orientation.Horizontal, toolTip=self.tr("Position in the clip"))
        self.seek.setRange(0, 0)
        self.seek.sliderMoved.connect(self.player.setPosition)
        self.seek.sliderReleased.connect(lambda: self.player.setPosition(self.seek.value()))
        self.time = QLabel("0:00 / 0:00")
        self.mute_button = QToolButton(autoRaise=True, checkable=True, toolTip=self.tr("Mute"))
        self.mute_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaVolume))
        self.mute_button.toggled.connect(self._set_muted)
        self.volume = QSlider(Qt.Orientation.Horizontal, toolTip=self.tr("Volume"))
        self.volume.setRange(0, 100)
        self.volume.setValue(round(self.audio.volume() * 100))
        self.volume.setMaximumWidth(110)
        self.volume.valueChanged.connect(lambda v: self.audio.setVolume(v / 100))
        self.message = QLabel()
        self.message.setStyleSheet("color: #e0e0e0; padding: 2px 8px;")
        self.message.hide()

        controls = QHBoxLayout()
        controls.setContentsMargins(8, 4, 8, 6)
        controls.addWidget(self.play_button)
        controls.addWidget(self.seek, 1)
        controls.addWidget(self.time)
        controls.addWidget(self.mute_button)
        controls.addWidget(self.volume)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.video, 1)
        layout.addWidget(self.message)
        layout.addLayout(controls)

        self.player.positionChanged.connect(self._on_position)
        self.player.durationChanged.connect(self._on_duration)
        self.player.playbackStateChanged.connect(self._on_state)
        self.player.errorOccurred.connect(self._on_error)

    # -- what the viewer calls ------------------------------------------------------------------------------
    def load(self, path: str, *, autoplay: bool = True) -> None:
        """Show this clip from the start; it plays at once unless `autoplay` is False. The clip already shown
        goes on as it is (the viewer shows its row again after an edit, a rating, a refresh)."""
        if path == self._path:
            return
        self.message.hide()
        self._path = path
        self.player.setSource(QUrl.fromLocalFile(path))
        if autoplay:
            self.player.play()

    def stop(self) -> None:
        """Stop and let go of the file (leaving the clip, or the viewer)."""
        self.player.stop()
        self.player.setSource(QUrl())
        self._path = ""

    def toggle_play(self) -> None:
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        else:
            self.player.play()

    def current_frame(self) -> QImage:
        """The picture on screen now (for screenshots: a QVideoWidget's own surface does not grab offscreen)."""
        frame = self.player.videoSink().videoFrame() if self.player.videoSink() is not None else None
        return frame.toImage() if frame is not None and frame.isValid() else QImage()

    # -- keeping the controls in step -----------------------------------------------------------------------
    def _on_position(self, position: int) -> None:
        if not self.seek.isSliderDown():
            self.seek.setValue(position)
        self.time.setText(f"{duration(position / 1000)} / {duration(self.player.duration() / 1000)}")

    def _on_duration(self, length: int) -> None:
        self.seek.setRange(0, max(0, length))
        self._on_position(self.player.position())

    def _on_state(self, state) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _set_muted(self, muted: bool) -> None:
        self.audio.setMuted(muted)
        icon = QStyle.StandardPixmap.SP_MediaVolumeMuted if muted else QStyle.StandardPixmap.SP_MediaVolume
        self.mute_button.setIcon(self.style().standardIcon(icon))
        self.volume.setEnabled(not muted)

    def _on_error(self, _error, text: str) -> None:
        message = self.tr("This clip cannot be played here: {reason}").format(reason=text or self.tr("unknown error"))
        self.message.setText(message)
        self.message.show()
        self.failed.emit(message)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space:
            self.toggle_play()
        elif key == Qt.Key.Key_M:
            self.mute_button.toggle()
        else:
            super().keyPressEvent(event)
            return
        event.accept()
