"""Screenshots of the voice-note panel (issue 12) for docs/screenshots: `QT_QPA_PLATFORM=offscreen python -m
app.ui.screenshots_voice docs/screenshots` (or under xvfb-run).

A small demo library imported through the importer; one photo gets a note spoken by espeak-ng (when installed)
and transcribed by the bundled Whisper, and a second note whose transcript was typed by hand; then the real window
is rendered with the viewer open on that photo, and once more while a recording is fed (level, time, Stop).
The window is rendered with QWidget.grab (works offscreen too, where there is no screen to grab).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt

from app.ui.screenshots import _wait

SPOKEN = "Grandpa took us sailing on the lake the summer I turned nine"
TYPED = "The boat was called Marigold. Mum painted the name on it herself."


def _render(app, window, path: Path) -> None:
    _wait(app, 0.4)
    pixmap = window.grab()
    pixmap.save(str(path))
    print(f"wrote {path} ({pixmap.width()}x{pixmap.height()})")


def _note_audio(work: Path) -> Path:
    """A spoken sentence when espeak-ng is there, else a short tone (then the note shows as heard nothing)."""
    path = work / "note.wav"
    exe = shutil.which("espeak-ng")
    if exe:
        subprocess.run([exe, "-s", "150", "-w", str(path), SPOKEN], check=True, capture_output=True)
        return path
    t = np.arange(16_000 * 2) / 16_000
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes((np.sin(2 * np.pi * 440 * t) * 6000).astype(np.int16).tobytes())
    return path


def main(out: Path) -> int:
    from app.bench.gui import write_photos
    from app.core.library import Library
    from app.ui.application import create_app
    from app.ui.main_window import MainWindow
    from app.ui.palette import apply_system_palette
    from app.ui.settings import AppSettings

    out.mkdir(parents=True, exist_ok=True)
    app = create_app(["shoebox-screenshots"])
    apply_system_palette(app, force_dark=False)
    work = Path(tempfile.mkdtemp(prefix="shoebox-shots-"))
    write_photos(work / "Pictures" / "Lake", 12, seed=5, size=(900, 600))
    with Library.open(work / "Library", log_to_file=False) as library:
        library.importer.import_paths([work / "Pictures"], progress=False)
        photo = library.photos.ordered_ids()[2]
        library.organise.set_title([photo], "Lake Vänern, 1994")
        library.voice.add(photo, _note_audio(work))
        typed = library.voice.add(photo, _note_audio(work), transcribe=False)
        library.voice.edit_transcript(typed, TYPED)
        library.tasks.run_until_idle(progress=False)

    window = MainWindow(AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                        remember=False)
    window.open_library(work / "Library")
    window.resize(1400, 900)
    window.show()
    _wait(app, 5.0, until=lambda: window.browser.loaded)
    window.resizeDocks([window.info_dock], [380], Qt.Orientation.Horizontal)
    window.browser.open_viewer(2)
    panel = window.voice_panel
    _wait(app, 10.0, until=lambda: window.viewer._stage == 2 and len(panel.rows) == 2)
    window.info_panel.ensureWidgetVisible(panel, 0, 0)
    _wait(app, 1.0)
    _render(app, window, out / "voice-notes.png")

    # Recording: the bytes a microphone would deliver, fed to the same recorder (no microphone here).
    with wave.open(str(_note_audio(work)), "rb") as w:
        pcm, rate = w.readframes(w.getnframes()), w.getframerate()
    panel.recorder.begin(panel.photo_id, rate=rate)
    panel.recorder.feed(pcm[: rate * 2 * 3])  # three seconds
    window.info_panel.ensureWidgetVisible(panel.recording_bar, 0, 0)
    _render(app, window, out / "voice-recording.png")
    panel.recorder.cancel()
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
