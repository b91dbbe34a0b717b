"""A clip made from a still: a window panning across a photo, for tests, benchmarks and demos.

The motion is known (a steady pan), so the optical flow has a right answer,
and the clip can carry a sine tone as audio to check that it is kept.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from artstyle.files import atomic_write, load_image


def pan_clip(photo: Path | str, output: Path | str, *, frames: int = 36, size: tuple[int, int] = (96, 64),
             rate: int = 12, step: int = 2, audio: bool = True) -> Path:
    """Write an MP4 of ``frames`` windows of ``size`` px sliding ``step`` px right per frame across ``photo``."""
    width, height = size
    still = load_image(photo)
    scale = height / still.height
    still = still.resize((max(width + step * frames, round(still.width * scale)), height), Image.Resampling.LANCZOS)
    output = Path(output)
    with atomic_write(output, "wb") as handle, av.open(handle, "w", format="mp4") as container:
        video = container.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "12", "threads": "1"}
        sound = container.add_stream("aac", rate=22050) if audio else None
        for i in range(frames):
            window = still.crop((i * step, 0, i * step + width, height))
            container.mux(video.encode(av.VideoFrame.from_image(window)))
        container.mux(video.encode())
        if sound is not None:
            _tone(container, sound, frames / rate)
    return output


def _tone(container, stream, seconds: float) -> None:
    """A 440 Hz sine for ``seconds``, in the encoder's frame size."""
    rate, chunk = stream.codec_context.sample_rate, stream.codec_context.frame_size or 1024
    total = int(seconds * rate)
    for offset in range(0, total, chunk):
        n = min(chunk, total - offset)
        t = (np.arange(offset, offset + n) / rate).astype(np.float32)
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, offset, Fraction(1, rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode())
