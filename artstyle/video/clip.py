"""Reading a clip and writing the painted one, through PyAV (FFmpeg in a wheel, what torchvision uses).

:func:`probe` checks everything cheap before any painting: the clip decodes,
has a video stream, and the part to paint is within the frame limit. Frames
are then read lazily, one at a time (:func:`read_frames`), and the painted
frames are encoded at the source's rate divided by ``every``, so the video
keeps the source's duration; the source's audio over the same span is
re-encoded to AAC when the clip has any.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Sequence

import av
from PIL import Image

from artstyle.errors import InputError, UsageError
from artstyle.files import atomic_write

log = logging.getLogger(__name__)

MAX_FRAMES = 2000  # painted frames; --max-frames raises it


@dataclass(frozen=True)
class Span:
    """Which frames to paint: from ``start`` s, for ``duration`` s (None: to the end), every ``every``-th."""

    start: float = 0.0
    duration: float | None = None
    every: int = 1

    def __post_init__(self) -> None:
        if not (self.start >= 0 and math.isfinite(self.start)):
            raise UsageError(f"--start must be 0 or more seconds, not {self.start}", hint="use e.g. --start 1.5")
        if self.duration is not None and not (self.duration > 0 and math.isfinite(self.duration)):
            raise UsageError(f"--duration must be a positive number of seconds, not {self.duration}", hint="use e.g. --duration 4")
        if self.every < 1:
            raise UsageError(f"--every must be 1 or more, not {self.every}", hint="use e.g. --every 5 for a quick preview")

    def takes(self, position: int) -> bool:
        """Whether the ``position``-th (0-based) frame within the span is painted."""
        return position % self.every == 0

    def within(self, time: float) -> bool:
        end = math.inf if self.duration is None else self.start + self.duration
        return self.start - 1e-6 <= time < end - 1e-6


@dataclass(frozen=True)
class ClipInfo:
    path: str
    width: int
    height: int
    rate: Fraction  # frames per second
    frames: int  # frames in the span (before --every)
    painted: int  # frames to paint
    duration: float  # seconds of the span
    audio: bool

    def record(self) -> dict:
        data = asdict(self)
        data["rate"] = str(self.rate)
        return data


def _open(path: Path):
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise InputError(f"cannot decode {path.name}: {exc}", hint="give a video file FFmpeg can read (.mp4, .mov, .mkv, .webm...)") from None


def _times(path: Path, span: Span) -> list[float]:
    """Presentation times (s) of the frames in the span, in order, read from the packets (no decoding)."""
    with _open(path) as container:
        stream = container.streams.video[0]
        base = stream.time_base
        times = sorted(float(p.pts * base) for p in container.demux(stream) if p.pts is not None and p.size)
    first = times[0] if times else 0.0
    return [t - first for t in times if span.within(t - first)]


def probe(path: Path | str, span: Span = Span(), max_frames: int = MAX_FRAMES) -> ClipInfo:
    """The clip's facts for the span, or one clear error (exit 2) before anything is written."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist", hint="check the clip's path")
    with _open(path) as container:
        if not container.streams.video:
            raise InputError(f"{path.name} has no video stream", hint="give a clip with video, not audio only")
        stream = container.streams.video[0]
        rate = Fraction(stream.average_rate or stream.guessed_rate or 0)
        width, height, audio = stream.codec_context.width, stream.codec_context.height, bool(container.streams.audio)
    try:
        times = _times(path, span)
    except av.error.FFmpegError as exc:
        raise InputError(f"cannot decode {path.name}: {exc}", hint="give a video file FFmpeg can read") from None
    if not times or not rate:
        raise InputError(f"{path.name} has no frames to paint from {span.start:g} s", hint="check --start and --duration against the clip")
    painted = math.ceil(len(times) / span.every)
    if painted > max_frames:
        raise UsageError(f"{path.name} has {painted} frames to paint, over the limit of {max_frames}",
                         hint="raise --max-frames, or paint part of it with --start/--duration, or every N-th frame with --every")
    return ClipInfo(str(path.resolve()), width, height, rate, len(times), painted, len(times) / float(rate), audio)


def read_frames(path: Path | str, span: Span = Span()) -> Iterator[tuple[int, float, Image.Image]]:
    """(painted index, time s, RGB image) for every frame to paint, decoded one at a time."""
    with _open(Path(path)) as container:
        stream = container.streams.video[0]
        position, index, first = 0, 0, None
        for frame in container.decode(stream):
            time = float(frame.pts * stream.time_base) if frame.pts is not None else position / float(stream.average_rate)
            first = time if first is None else first
            if not span.within(time - first):
                continue
            if span.takes(position):
                yield index, time - first, frame.to_image().convert("RGB")
                index += 1
            position += 1


def _even(image: Image.Image) -> Image.Image:
    """H.264 in yuv420p needs even sides: drop the odd last row or column."""
    w, h = image.width - image.width % 2, image.height - image.height % 2
    return image if (w, h) == image.size else image.crop((0, 0, w, h))


def encode(frames: Sequence[Path], output: Path, rate: Fraction, source: Path | None = None, span: Span = Span()) -> None:
    """Painted frame images -> ``output`` (H.264 MP4) at ``rate`` fps, with the source's audio over the span; atomic."""
    first = _even(Image.open(frames[0]))
    with atomic_write(output, "wb") as handle, av.open(handle, "w", format="mp4") as container:
        # one encoder thread, set before the codec opens: the same frames then give the same file
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = container.add_stream(codec, rate=rate, options={"crf": "18", "threads": "1"})
        stream.width, stream.height, stream.pix_fmt = first.width, first.height, "yuv420p"
        stream.codec_context.thread_count = 1
        audio = _audio_encoder(container, source)
        for path in frames:
            frame = av.VideoFrame.from_image(_even(Image.open(path).convert("RGB")))
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if audio is not None:
            _copy_audio(source, container, audio, span, len(frames) / float(rate))


def _audio_encoder(container, source: Path | None):
    if source is None:
        return None
    with av.open(str(source)) as clip:
        if not clip.streams.audio:
            return None
        rate = clip.streams.audio[0].codec_context.sample_rate or 44100
    return container.add_stream("aac", rate=rate)


def _copy_audio(source: Path, container, stream, span: Span, duration: float) -> None:
    """Re-encode the source's audio from ``span.start`` for ``duration`` s (best effort: a failure is logged)."""
    try:
        with av.open(str(source)) as clip:
            resampler = av.AudioResampler(format=stream.codec_context.format, layout=stream.codec_context.layout, rate=stream.codec_context.sample_rate)
            end = span.start + duration
            for frame in clip.decode(clip.streams.audio[0]):
                time = float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
                if span.start - 1e-6 <= time < end:
                    frame.pts = None
                    for out in resampler.resample(frame):
                        container.mux(stream.encode(out))
            for out in resampler.resample(None):
                container.mux(stream.encode(out))
            container.mux(stream.encode(None))
    except (av.error.FFmpegError, ValueError) as exc:
        log.warning("the clip's audio could not be copied: %s", exc)

