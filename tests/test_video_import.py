"""Short video clips imported like photos: duration, size, date and place from the container, keyframes by scene
change (the first is the poster thumbnail), and broken or unsupported clips recorded as errors."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image
from sqlalchemy import select

from video_clips import checker, solid, write_clip

pytest.importorskip("av")

RED, GREEN, BLUE, GREY = (200, 30, 30), (30, 200, 30), (30, 30, 200), (128, 128, 128)
PHONE_TAGS = {
    "creation_time": "2023-05-01T12:34:56Z",
    "com.apple.quicktime.creationdate": "2023-05-01T14:34:56+0200",
    "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 12",
}


def keyframe_rows(library, photo_id):
    from app.core.db.models import VideoKeyframe

    with library.db.read_session() as s:
        return [tuple(r) for r in s.execute(select(VideoKeyframe.frame, VideoKeyframe.time_s)
                                            .where(VideoKeyframe.photo_id == photo_id).order_by(VideoKeyframe.frame))]


def test_clips_import_with_metadata_keyframes_and_poster(library, tmp_path):
    src = tmp_path / "src"
    write_clip(src / "phone.mov", [solid(RED), checker(BLUE, GREY), solid(GREEN)], metadata=PHONE_TAGS)
    write_clip(src / "cam.mp4", [solid(GREY)], seconds=3, metadata={"creation_time": "2022-01-02T03:04:05Z",
                                                                    "location": "+3540.5+13945.5/"})
    write_clip(src / "web.webm", [solid(BLUE), solid(RED)])
    summary = library.importer.import_paths([src], progress=False)
    assert summary.imported == 3 and summary.failed == 0, library.importer.errors()

    photos = {p.path.rsplit("/", 1)[-1]: p for p in library.photos.list()}
    phone = photos["phone.mov"]
    assert (phone.media, phone.format, phone.width, phone.height) == ("video", "MOV", 160, 120)
    assert phone.duration_s == pytest.approx(6.0, abs=0.2)
    # Apple's local creation date (with its offset) wins over the UTC creation_time.
    assert (phone.taken_at, phone.tz_offset, phone.taken_at_source) == ("2023-05-01T14:34:56", "+02:00", "CreationDate")
    assert (phone.gps_lat, phone.gps_lon, phone.gps_alt) == (48.8584, 2.2945, 35.0)
    assert phone.camera == "iPhone 12" or phone.camera_make == "Apple"
    cam = photos["cam.mp4"]
    assert cam.format == "MP4" and cam.taken_at_source == "creation_time"
    assert cam.gps_lat == pytest.approx(35 + 40.5 / 60) and cam.gps_lon == pytest.approx(139 + 45.5 / 60)
    assert photos["web.webm"].format == "WEBM" and photos["web.webm"].media == "video"

    # One keyframe per scene, in time order, and the poster (first keyframe) is the thumbnail.
    frames = keyframe_rows(library, phone.id)
    assert [f for f, _t in frames] == [0, 1, 2]
    assert 0 <= frames[0][1] < 2 <= frames[1][1] < 4 <= frames[2][1] < 6
    colours = []
    for frame, _t in frames:
        with Image.open(library.layout.keyframe(phone.sha256, frame)) as image:
            colours.append(image.convert("RGB").getpixel((5, 5)))
    assert colours[0][0] > 150 and colours[2][1] > 150  # red first, green last
    with Image.open(phone.thumbnail) as grid:
        assert grid.convert("RGB").getpixel((5, 5))[0] > 150
    assert len(keyframe_rows(library, cam.id)) == 1


def test_sparse_key_frames_are_decoded_in_full_and_rotation_is_applied(library, tmp_path):
    # One key frame in 100 frames: sampling key frames alone would miss the cuts, so every frame is decoded.
    write_clip(tmp_path / "src" / "portrait.mp4", [solid(RED), solid(GREEN), solid(BLUE)], gop=100, rotation=-90)
    from app.core.ingest.video import read_video

    video = read_video(str(tmp_path / "src" / "portrait.mp4"), mtime_ns=None, longest_side=1440)
    assert len(video.keyframes) == 3
    assert (video.width, video.height) == (120, 160)
    assert video.keyframes[1].image.size == (120, 160)


def test_a_long_single_scene_keeps_few_keyframes_and_many_scenes_are_capped():
    from app.core.ingest.video import MIN_KEYFRAMES, keyframe_limit

    assert keyframe_limit(6) == MIN_KEYFRAMES
    assert keyframe_limit(120) == 12  # a handful per minute


def test_broken_and_unsupported_clips_become_recorded_errors(library, tmp_path):
    src = tmp_path / "src"
    good = write_clip(src / "good.mp4", [solid(RED), solid(GREEN)])
    data = good.read_bytes()
    (src / "cut.mp4").write_bytes(data[: len(data) // 2])  # the index (moov) is at the end: cut off
    webm = write_clip(tmp_path / "w" / "x.webm", [solid(RED), solid(GREEN), solid(BLUE)])
    (src / "cut.webm").write_bytes(webm.read_bytes()[: webm.stat().st_size // 2])
    (src / "noise.mp4").write_bytes(bytes(range(256)) * 40)
    (src / "empty.mov").write_bytes(b"")
    shutil.copy(good, src / "copy-of-good.m4v")  # the same bytes: a duplicate, not an error
    summary = library.importer.import_paths([src], progress=False)
    assert summary.imported == 1 and summary.duplicates == 1
    errors = {e.path.rsplit("/", 1)[-1]: e for e in library.importer.errors()}
    assert set(errors) == {"cut.mp4", "cut.webm", "noise.mp4", "empty.mov"}
    assert errors["cut.mp4"].error_class == "CorruptVideo"
    assert errors["cut.webm"].error_class == "TruncatedVideo" and "cut short" in errors["cut.webm"].reason
    assert errors["noise.mp4"].error_class == "CorruptVideo"
    assert errors["empty.mov"].error_class == "EmptyFile"
    # Unchanged broken files are not tried again; the good clip is still there.
    again = library.importer.import_paths([src], progress=False)
    assert again.imported == 0 and again.failed == 0 and library.photos.count() == 1


def test_sound_only_file_is_unsupported(tmp_path):
    import av
    import numpy as np

    from app.core.ingest.errors import FileRejected
    from app.core.ingest.video import read_video

    path = tmp_path / "voice.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 16000
        for packet in list(stream.encode(frame)) + list(stream.encode()):
            container.mux(packet)
    with pytest.raises(FileRejected) as caught:
        read_video(str(path), mtime_ns=None, longest_side=256)
    assert caught.value.error_class == "UnsupportedVideo"


def test_iso6709_forms():
    from app.core.ingest.video import parse_iso6709

    assert parse_iso6709("+48.8584+002.2945+035.000/") == (48.8584, 2.2945, 35.0)
    assert parse_iso6709("-3351.5+15112.5/") == (pytest.approx(-(33 + 51.5 / 60)), pytest.approx(151 + 12.5 / 60), None)
    assert parse_iso6709("+404530-0735959/")[0] == pytest.approx(40 + 45 / 60 + 30 / 3600)
    assert parse_iso6709("garbage") is None and parse_iso6709("+95.0+010.0/") is None


def test_video_names_are_sniffed_and_audio_brands_are_not():
    from app.core.ingest.sniff import sniff_bytes

    assert sniff_bytes(b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", ".mov") == "video"
    assert sniff_bytes(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2", "") == "video"
    assert sniff_bytes(b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A mp42", ".m4a") is None
    assert sniff_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", ".heic") == "heif"
    assert sniff_bytes(b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84webm", "") == "video"


def test_clips_are_exported_like_photos_and_filtered_by_type(library, tmp_path):
    from app.core.exchange.export import Exporter
    from app.core.search.query import run_query

    src = tmp_path / "src"
    clip = write_clip(src / "clip.mp4", [solid(RED), solid(GREEN)], metadata={"creation_time": "2021-03-04T05:06:07Z"})
    Image.new("RGB", (120, 90), GREY).save(src / "still.jpg")
    library.importer.import_paths([src], progress=False)
    ids = {p.path.rsplit("/", 1)[-1]: p.id for p in library.photos.list()}

    assert run_query(library, "type:video") == [ids["clip.mp4"]]
    assert run_query(library, "type:mp4") == [ids["clip.mp4"]]
    assert run_query(library, "type:photo") == [ids["still.jpg"]]

    summary = Exporter(library, template="{name}", sidecars=True).export(list(ids.values()), tmp_path / "out")
    assert not summary.failed and len(summary.written) == 2
    assert (tmp_path / "out" / "clip.mp4").read_bytes() == clip.read_bytes()
    assert (tmp_path / "out" / "clip.xmp").is_file()
    # Small copies: photos become resized JPEGs, a clip is copied as it is (it has no JPEG version).
    small = Exporter(library, template="{name}", max_size=32).export(list(ids.values()), tmp_path / "small")
    assert not small.failed and sorted(small.written) == ["clip.mp4", "still.jpg"]
    assert (tmp_path / "small" / "clip.mp4").read_bytes() == clip.read_bytes()


def test_a_clips_lost_thumbnails_and_keyframes_are_made_again_from_the_clip(library, tmp_path):
    from app.core.ingest.repair import find_broken_thumbnails, regenerate_thumbnails

    write_clip(tmp_path / "src" / "clip.mov", [solid(RED), solid(BLUE)])
    library.importer.import_paths([tmp_path / "src"], progress=False)
    (clip,) = library.photos.list()
    lost = [library.layout.thumbnail(clip.sha256, "grid"), library.layout.keyframe(clip.sha256, 1)]
    for path in lost:
        path.unlink()
    assert find_broken_thumbnails(library) == [clip.id]
    assert regenerate_thumbnails(library, [clip.id]) == [clip.id]
    assert all(path.is_file() for path in lost)
    assert library.photos.get(clip.id).status == "ok"


def test_a_clip_that_fades_in_from_black_gets_a_lit_poster(tmp_path):
    from app.core.ingest.video import read_video

    clip = write_clip(tmp_path / "fade.mp4", [solid((0, 0, 0)), solid((200, 200, 30))])
    video = read_video(clip.read_bytes(), mtime_ns=None, longest_side=256)
    assert len(video.keyframes) == 1 and video.keyframes[0].image.getpixel((5, 5))[0] > 150
    dark = write_clip(tmp_path / "night.mp4", [solid((0, 0, 0))])  # all dark: it keeps its dark keyframe
    assert len(read_video(str(dark), mtime_ns=None, longest_side=256).keyframes) == 1
