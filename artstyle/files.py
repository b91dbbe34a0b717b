"""Atomic file writes, hashing, and image loading and saving.

Every module writes through :func:`atomic_write` so that no exit, crash or
Ctrl-C can leave a half-written file where a finished one is expected: data
goes to a temporary ``.<name>.<pid>-<random>.part`` file beside the target, is
flushed to disk, then renamed into place (``os.replace`` is atomic on POSIX and
Windows). The pid in the name lets :func:`sweep_parts` remove what a killed
process (kill -9) left behind without touching a running writer's files.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from artstyle.errors import InputError, StorageError, clip

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
PART_SUFFIX = ".part"


def _read_umask() -> int:
    """The process umask, read without changing it where the OS allows (threads may be writing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # the portable way: set, then restore at once
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode an ordinary ``open(path, "w")`` would give a new file (0644 under the usual umask 022)."""
    return 0o666 & ~_read_umask()


def inside(root: Path | str, path: Path | str) -> Path:
    """``path`` (as given, not joined to ``root``) resolved, after checking it lies under ``root``: the last wall before anything is written.

    Names that come from outside (a server, a catalog row) are validated where
    they are parsed; this catches whatever slipped through (``..``, an absolute
    path, a symlinked folder pointing elsewhere).
    """
    base = Path(root).resolve()
    target = None if "\x00" in str(path) else Path(path).resolve()  # relative paths: from the working folder
    if target is None or (target != base and base not in target.parents):
        raise StorageError(f"refused to write {clip(repr(str(path)), 200)}: it is not inside {base}",
                           hint="the name came from remote data or a damaged catalog; nothing was written")
    return target


def _storage_error(path: Path, exc: OSError) -> StorageError:
    return StorageError(
        f"cannot write {path}: {exc.strerror or exc}",
        hint="check that the data home or output folder is writable and has free space (or choose another with --home)",
    )


@contextlib.contextmanager
def atomic_write(path: Path | str, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-", suffix=PART_SUFFIX)
        os.fchmod(fd, file_mode())  # mkstemp makes 0600; the finished file should be like any other
    except OSError as exc:
        raise _storage_error(path, exc) from exc
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _storage_error(path, exc) from exc
        raise


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    with atomic_write(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: Path | str, text: str) -> None:
    with atomic_write(path, "w") as handle:
        handle.write(text)


def atomic_write_json(path: Path | str, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_parts(folder: Path | str) -> int:
    """Delete the ``.part`` files of processes that no longer run; return how many."""
    folder = Path(folder)
    removed = 0
    for part in folder.glob(f".*{PART_SUFFIX}") if folder.is_dir() else []:
        owner = part.name[: -len(PART_SUFFIX)].rsplit(".", 1)[-1].split("-")[0]
        if owner.isdigit() and _process_alive(int(owner)):
            continue
        with contextlib.suppress(OSError):
            part.unlink()
            removed += 1
    return removed


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert an embedded ICC profile to sRGB so colour statistics mean the same thing."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile is not worth refusing the image over


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Composite transparent pixels on white, as a viewer would show them."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _why_unreadable(exc: Exception) -> str:
    """Pillow's reason, without the in-memory buffer it names when it cannot identify the format."""
    if isinstance(exc, UnidentifiedImageError):
        return "not a format Pillow can read"
    return f"{exc.__class__.__name__}: {exc}"


def decode_image(data: bytes, name: str = "image") -> Image.Image:
    """Fully decode image bytes to an upright sRGB RGB image, or raise InputError."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()  # force a full decode: truncated files fail here, not later
        image = ImageOps.exif_transpose(image)
        if image.mode not in ("RGB", "RGBA", "LA", "P", "L"):
            image = image.convert("RGB")
        image = _to_srgb(image) if image.mode == "RGB" else image
        return _flatten_alpha(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(
            f"{name} is not a readable image ({_why_unreadable(exc)})",
            hint="check that the file is a complete JPEG, PNG or WebP image",
        ) from exc


def load_image(path: Path | str) -> Image.Image:
    """Load an image file as upright sRGB RGB, with one clear error for missing or bad files."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist", hint="check the path and try again")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not an image", hint="give the path of an image file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", hint="check the file's permissions") from exc
    return decode_image(data, name=str(path))


def save_image(image: Image.Image, path: Path | str, pnginfo=None, quality: int = 95) -> None:
    """Save atomically; the format follows the suffix (PNG, JPEG or WebP)."""
    path = Path(path)
    fmt = SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot save {path.name}: unsupported output format {path.suffix or '(none)'}",
            hint="use a .png, .jpg or .webp file name",
        )
    options = {"pnginfo": pnginfo} if fmt == "PNG" and pnginfo is not None else {}
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = quality
    with atomic_write(path, "wb") as handle:
        image.convert("RGB").save(handle, format=fmt, **options)
