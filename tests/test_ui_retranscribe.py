"""When the speech model changes, the window offers (one message, with a button) to re-transcribe the voice notes
an earlier model transcribed; the button queues them for the background chain and hand edits are kept."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.ui.live import LibraryWatcher
from app.ui.messages import MessageBridge
from app.ui.reader import Reader
from app.ui.retranscribe_offer import KEY
from app.ui.voice_panel import VoicePanel
from test_voice_retranscribe import fake_speech  # noqa: F401 (a fixture)
from tests.speech_audio import make_photos
from tests.voice_audio import tone

WAIT = 120_000  # ms: a deadline for conditions on a busy machine, not a timing


@dataclass
class Current:
    id: int


@pytest.fixture
def panel(qtbot, library):
    reader, bridge = Reader(), MessageBridge()
    seen = []
    bridge.shown.connect(seen.append)
    library.tasks  # the task engine is made on the GUI thread, as the window does
    panel = VoicePanel(reader, bridge)
    panel.messages_seen = seen
    qtbot.addWidget(panel)
    watcher = LibraryWatcher()
    watcher.changed.connect(panel.library_changed)
    panel.set_library(library)
    watcher.set_library(library)
    yield panel
    watcher.set_library(None)
    panel.set_library(None)
    reader.close()


def test_a_model_change_offers_to_retranscribe_and_the_button_does_it(qtbot, panel, library, tmp_path,
                                                                      fake_speech):  # noqa: F811
    library.config.set("voice.model_id", "speech:old")
    (photo,) = make_photos(library, ["a.jpg"])
    ids = [library.voice.add(photo, tone(tmp_path / f"{i}.wav"), transcribe=False) for i in range(3)]
    library.voice.schedule()
    library.tasks.run_until_idle()
    library.voice.edit_transcript(ids[0], "my words")
    panel.show_info(Current(photo))
    qtbot.waitUntil(lambda: panel.loaded_for == photo and len(panel.rows) == 3, timeout=WAIT)
    assert panel.retranscribe.offered is None  # opening a library is not a change

    library.config.set("voice.model_id", "speech:new")  # as `shoebox models use speech:new` would, meanwhile
    panel.library_changed()
    qtbot.waitUntil(lambda: panel.retranscribe.offered is not None, timeout=WAIT)
    (offer,) = [m for m in panel.messages_seen if m.key == KEY]
    assert "Re-transcribe 2 voice notes with speech:new" in offer.text
    ((label, press),) = offer.actions
    press()
    qtbot.waitUntil(lambda: panel.retranscribe.queued == 2, timeout=WAIT)
    library.tasks.run_until_idle()  # the background worker's part
    notes = {n.id: n for n in library.voice.list()}
    assert notes[ids[0]].transcript == "my words"
    assert [notes[i].transcript for i in ids[1:]] == ["heard by speech:new"] * 2
    panel.loaded_for = None
    panel.library_changed()  # the same model seen again: no new offer
    qtbot.waitUntil(lambda: panel.loaded_for == photo and all(not r.note.pending for r in panel.rows.values()),
                    timeout=WAIT)
    assert len([m for m in panel.messages_seen if m.key == KEY and m.actions]) == 1
