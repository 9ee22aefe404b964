"""Short video clips (MP4, MOV, M4V, 3GP, WebM) read with PyAV, whose wheels bundle FFmpeg: length, size, capture
time and place from the container's metadata, and a few keyframes chosen by scene change.

Scenes: frames are sampled (every key frame when the clip has one at least every KEY_GAP_S, else one frame every
SAMPLE_S, decoding all of them), each shrunk to a 2x2 grid of colour histograms. A sample far enough from the
first sample of the current scene (HISTOGRAM_CUT) starts a new scene, at most one per MIN_SCENE_S; comparing with
the scene's start rather than the previous frame also cuts a slow pan once it shows something else. Each scene
gives one keyframe, the frame PICK_S into it (past a cut's blur or fade), upright and at most the preview's size.
A clip keeps at most `keyframe_limit(duration)` of them, its longest scenes; the first is the clip's poster.

The keyframes stand for the clip in smart search (each one is embedded, app.core.keyframes) and in the face
scan. Errors are FileRejected with the video error classes (errors.py), like a broken photo's.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.ingest.errors import FileRejected, IngestError
from app.core.photo_metadata import PhotoMetadata

KEY_GAP_S = 2.0  # key frames at least this often: sampling them alone sees every scene
SAMPLE_S = 0.5  # otherwise one frame this often (all frames are decoded)
FULL_DECODE_MAX_S = 600.0  # longer clips are sampled at their key frames only, however sparse
HISTOGRAM_CUT = 0.35  # mean L1/2 distance of the region histograms that starts a new scene
MIN_SCENE_S = 1.0
PICK_S = 1.0  # a scene's keyframe is this far into it (or its last sample, if shorter)
PER_MINUTE = 6  # at most this many keyframes per minute of clip...
MIN_KEYFRAMES = 4  # ...but a short clip may keep this many
DARK = 24  # a keyframe this dark on average (a fade from black) is dropped when the clip has others (the
# brightness is read from the histograms: all-black frames measure 16, the middle of the darkest bin)
TRUNCATED_SLACK_S = 1.0  # frames may end this much (plus a key frame gap) before the declared length
_BINS = 8
_HIST_SIZE = (32, 32)  # frames are shrunk to this before their histograms are taken


@dataclass(frozen=True)
class Keyframe:
    time_s: float
    image: Image.Image  # RGB, upright, long side at most the preview's


@dataclass(frozen=True)
class VideoInfo:
    format: str  # MP4, MOV, M4V, 3GP, WEBM, MKV
    width: int  # as displayed (after the rotation the container asks for)
    height: int
    duration_s: float
    metadata: PhotoMetadata
    keyframes: list[Keyframe]  # in time order; the first is the poster


def keyframe_limit(duration_s: float) -> int:
    return max(MIN_KEYFRAMES, math.ceil(duration_s / 60 * PER_MINUTE))


def read_video(source: bytes | str, *, mtime_ns: int | None, longest_side: int, suffix: str = "") -> VideoInfo:
    """Read a clip from its bytes (exactly the bytes that were hashed) or its path; FileRejected when it is
    broken or cannot be decoded."""
    import av

    try:
        container = av.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source, "r")
    except FileNotFoundError:
        raise FileRejected(IngestError.FILE_VANISHED, "the file disappeared during the import") from None
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise FileRejected(IngestError.CORRUPT_VIDEO, f"cannot read this video: {_message(exc)}") from None
    with container:
        if not container.streams.video:
            raise FileRejected(IngestError.UNSUPPORTED_VIDEO, "the file has no picture track (sound only?)")
        stream = container.streams.video[0]
        if stream.codec_context is None:
            raise FileRejected(IngestError.UNSUPPORTED_VIDEO, "the video's codec cannot be decoded here")
        duration = _duration(container, stream)
        tags = _tags(container, stream)
        fmt = _format_name(container, suffix)
        width, height = stream.codec_context.width, stream.codec_context.height
        try:
            scenes, times, rotation, gap = _scan(container, stream, duration)
            if not times:
                raise FileRejected(IngestError.CORRUPT_VIDEO, "no frame of this video can be decoded")
            if duration > 0 and times[-1] < duration - gap - TRUNCATED_SLACK_S:
                raise FileRejected(IngestError.TRUNCATED_VIDEO, f"the file is cut short: its frames end at "
                                   f"{times[-1]:.1f} s of {duration:.1f} s")
            duration = duration or times[-1]
            keyframes = [_keyframe(s, rotation, longest_side) for s in _choose(scenes, duration)]
        except (av.error.FFmpegError, OSError, ValueError, MemoryError) as exc:
            raise FileRejected(IngestError.CORRUPT_VIDEO, f"cannot decode this video: {_message(exc)}") from None
    if rotation % 180:
        width, height = height, width
    return VideoInfo(fmt, width, height, round(duration, 3), _metadata(tags, mtime_ns), keyframes)


# -- sampling and scenes -----------------------------------------------------------------------------------


@dataclass
class _Sample:
    time_s: float
    histogram: np.ndarray
    frame: object = None  # the av.VideoFrame, kept only for the samples that may become keyframes


@dataclass
class _Scene:
    start: _Sample
    pick: _Sample
    end_s: float


def _scan(container, stream, duration: float) -> tuple[list[_Scene], list[float], int, float]:
    """The scenes, the sample times, the rotation the container asks for, and the largest gap between samples
    (how far the truth may be from what was seen)."""
    stream.thread_type = "AUTO"
    stream.codec_context.skip_frame = "NONKEY"
    scenes, times, rotation = _decode(container, stream, duration, every=0.0)
    gaps = np.diff([0.0] + times + [max(duration, times[-1] if times else 0.0)])
    if (not times or gaps.max(initial=0.0) > KEY_GAP_S) and duration <= FULL_DECODE_MAX_S:
        container.seek(0)
        stream.codec_context.flush_buffers()
        stream.codec_context.skip_frame = "DEFAULT"
        scenes, times, rotation = _decode(container, stream, duration, every=SAMPLE_S)
        return scenes, times, rotation, SAMPLE_S
    return scenes, times, rotation, float(gaps.max(initial=0.0))


def _decode(container, stream, duration: float, *, every: float) -> tuple[list[_Scene], list[float], int]:
    """Scenes found while decoding (every frame the decoder gives, or one per `every` seconds)."""
    scenes = _Scenes()
    times: list[float] = []
    rotation = 0
    next_s = 0.0
    offset = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
    for frame in container.decode(stream):
        if frame.time is None:
            continue
        time_s = max(0.0, float(frame.time) - offset)
        if every and time_s < next_s:
            continue
        next_s = time_s + every
        rotation = int(frame.rotation or 0)
        times.append(time_s)
        scenes.add(_Sample(time_s, _histogram(frame), frame))
    return scenes.finish(duration), times, rotation


def _histogram(frame) -> np.ndarray:
    """Colour histograms of the four quarters of the frame, each normalised: a 4 x 3 x _BINS array."""
    small = frame.to_ndarray(width=_HIST_SIZE[0], height=_HIST_SIZE[1], format="rgb24")
    h, w = small.shape[0] // 2, small.shape[1] // 2
    out = np.empty((4, 3, _BINS), np.float32)
    for i, region in enumerate((small[:h, :w], small[:h, w:], small[h:, :w], small[h:, w:])):
        for channel in range(3):
            counts = np.bincount(region[..., channel].ravel() // (256 // _BINS), minlength=_BINS)
            out[i, channel] = counts / max(1, counts.sum())
    return out


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """0 (same colours in the same places) to 1 (nothing in common)."""
    return float(np.abs(a - b).sum(axis=-1).mean() / 2)


class _Scenes:
    """Splits samples into scenes as they come; only each scene's start and pick keep their frames, so memory
    stays at a few frames per scene however long the clip."""

    def __init__(self):
        self.scenes: list[_Scene] = []

    def add(self, sample: _Sample) -> None:
        current = self.scenes[-1] if self.scenes else None
        if (current is None or sample.time_s - current.start.time_s >= MIN_SCENE_S
                and histogram_distance(sample.histogram, current.start.histogram) > HISTOGRAM_CUT):
            if current is not None:
                current.end_s = sample.time_s
                if current.start is not current.pick:
                    current.start.frame = None
            self.scenes.append(_Scene(sample, sample, sample.time_s))
            return
        if sample.time_s - current.start.time_s <= PICK_S:
            if current.pick is not current.start:
                current.pick.frame = None
            current.pick = sample
        else:
            sample.frame = None
        current.end_s = sample.time_s

    def finish(self, duration: float) -> list[_Scene]:
        if self.scenes:
            self.scenes[-1].end_s = max(self.scenes[-1].end_s, duration)
        return self.scenes


def _choose(scenes: list[_Scene], duration: float) -> list[_Sample]:
    """The picks of the longest scenes (at most keyframe_limit), in time order; dark ones only if all are."""
    lit = [s for s in scenes if _brightness(s.pick) >= DARK] or scenes
    limit = keyframe_limit(duration)
    longest = sorted(lit, key=lambda s: -(s.end_s - s.start.time_s))[:limit]
    return [s.pick for s in sorted(longest, key=lambda s: s.start.time_s)]


def _brightness(sample: _Sample) -> float:
    # The histogram's mean bin, back in 0-255 levels (cheap; no frame conversion).
    centres = (np.arange(_BINS) + 0.5) * (256 / _BINS)
    return float((sample.histogram * centres).sum(axis=-1).mean())


_UPRIGHT = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}


def _keyframe(sample: _Sample, rotation: int, longest_side: int) -> Keyframe:
    """The sample's frame as an upright RGB picture at most `longest_side` (the rotation is counterclockwise)."""
    frame = sample.frame
    scale = min(1.0, longest_side / max(frame.width, frame.height, 1))
    width, height = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
    image = frame.to_image(width=width, height=height)
    method = _UPRIGHT.get(rotation % 360)
    return Keyframe(round(sample.time_s, 3), image.transpose(method) if method is not None else image)


# -- container facts ---------------------------------------------------------------------------------------


def _duration(container, stream) -> float:
    if container.duration:
        return max(0.0, container.duration / 1_000_000)
    if stream.duration and stream.time_base:
        return max(0.0, float(stream.duration * stream.time_base))
    return 0.0


def _tags(container, stream) -> dict[str, str]:
    """Container tags over the video track's, keys lower-cased."""
    tags = {k.lower(): str(v) for k, v in (stream.metadata or {}).items()}
    tags.update({k.lower(): str(v) for k, v in (container.metadata or {}).items()})
    return tags


def _format_name(container, suffix: str) -> str:
    name = container.format.name or ""
    if "matroska" in name or "webm" in name:
        return "MKV" if suffix.lower() == ".mkv" else "WEBM"
    brand = (container.metadata or {}).get("major_brand", "").strip().lower()
    if brand == "qt":
        return "MOV"
    if brand.startswith("3g2"):
        return "3G2"
    if brand.startswith("3g"):
        return "3GP"
    if brand.startswith("m4v"):
        return "M4V"
    return {".mov": "MOV", ".m4v": "M4V", ".3gp": "3GP"}.get(suffix.lower(), "MP4")


def _message(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


# -- metadata ----------------------------------------------------------------------------------------------

_MAKE_KEYS = ("com.apple.quicktime.make", "com.android.manufacturer", "make")
_MODEL_KEYS = ("com.apple.quicktime.model", "com.android.model", "model")
_LOCATION_KEYS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")
_LOCAL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([+-])(\d{2}):?(\d{2})$")


def _metadata(tags: dict[str, str], mtime_ns: int | None) -> PhotoMetadata:
    taken_at, source, offset = _local_date(tags.get("com.apple.quicktime.creationdate", ""))
    if taken_at is None:
        taken_at = _utc_date(tags.get("creation_time", ""))
        source = "creation_time" if taken_at else None
    if taken_at is None and mtime_ns is not None:
        taken_at, source = datetime.fromtimestamp(mtime_ns / 1e9).isoformat(timespec="seconds"), "mtime"
    lat = lon = alt = None
    for key in _LOCATION_KEYS:
        found = parse_iso6709(tags.get(key, ""))
        if found is not None:
            lat, lon, alt = found
            break
    return PhotoMetadata(
        taken_at=taken_at, taken_at_source=source, tz_offset=offset, gps_lat=lat, gps_lon=lon, gps_alt=alt,
        camera_make=_text(tags, _MAKE_KEYS), camera_model=_text(tags, _MODEL_KEYS), lens=None, orientation=None,
    )


def _local_date(value: str) -> tuple[str | None, str | None, str | None]:
    """Apple's creation date is the local time with its offset: "2023-05-01T14:34:56+0200"."""
    match = _LOCAL_DATE.match(value.strip())
    if not match:
        return None, None, None
    y, mo, d, h, mi, s, sign, oh, om = match.groups()
    try:
        when = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
    except ValueError:
        return None, None, None
    if when.year < 1971:
        return None, None, None
    return when.isoformat(timespec="seconds"), "CreationDate", f"{sign}{oh}:{om}"


def _utc_date(value: str) -> str | None:
    """`creation_time` is UTC; like a file's mtime, it is shown in this computer's local time. The zero dates
    some cameras write (1904 and 1970, their epochs) mean "unknown"."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if when.year < 1971:
        return None
    return when.astimezone().replace(tzinfo=None).isoformat(timespec="seconds")


_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?(?:CRS[^/]*)?/?$")


def parse_iso6709(value: str) -> tuple[float, float, float | None] | None:
    """(lat, lon, altitude) from an ISO 6709 string such as "+48.8584+002.2945+035.000/"; degrees may also be
    written ±DDMM.mm or ±DDMMSS.ss (±DDDMM... for the longitude). None when it does not parse or is out of range."""
    match = _ISO6709.match(value.strip())
    if not match:
        return None
    lat = _degrees(match.group(1), 2)
    lon = _degrees(match.group(2), 3)
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    alt = round(float(match.group(3)), 2) if match.group(3) else None
    return round(lat, 7), round(lon, 7), alt


def _degrees(text: str, degree_digits: int) -> float | None:
    sign = -1.0 if text[0] == "-" else 1.0
    whole, _, fraction = text[1:].partition(".")
    fraction = float("0." + fraction) if fraction else 0.0
    extra = len(whole) - degree_digits
    if extra == 0:
        value = int(whole) + fraction
    elif extra == 2:  # DDMM.mm
        value = int(whole[:degree_digits]) + (int(whole[degree_digits:]) + fraction) / 60
    elif extra == 4:  # DDMMSS.ss
        value = int(whole[:degree_digits]) + int(whole[degree_digits:-2]) / 60 + (int(whole[-2:]) + fraction) / 3600
    else:
        return None
    return sign * value


def _text(tags: dict[str, str], keys) -> str | None:
    for key in keys:
        text = "".join(ch for ch in tags.get(key, "") if ch.isprintable()).strip()
        if text:
            return text[:128]
    return None


# -- keyframe files ----------------------------------------------------------------------------------------


def save_keyframes(images: list[Image.Image], layout, sha256: str, *, replace: bool = False,
                   written: list[str] | None = None) -> list[str]:
    """Store a clip's keyframes at layout.keyframe(sha, i) the way thumbnails are stored (whole or absent; with a
    `written` list, left for the caller to flush)."""
    from app.core.ingest.thumbnails import PREVIEW_QUALITY, save_jpeg_atomic, thumbnail_ok

    paths = []
    for index, image in enumerate(images):
        target = Path(layout.keyframe(sha256, index))
        if replace or not thumbnail_ok(target):
            save_jpeg_atomic(image, target, PREVIEW_QUALITY, layout.thumbnail_temp, durable=written is None)
            if written is not None:
                written.append(str(target))
        paths.append(str(target))
    return paths
