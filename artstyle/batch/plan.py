"""What a batch paints: input photos crossed with style requests and repeats, as a list of jobs.

``artstyle batch ./holiday-photos --like picasso --per-photo 3`` paints every
photo three times, each time after a freshly drawn Picasso work (Mu & Francl
2015: one random work per painting imitates the artist better than an average).
This module turns the command line into that plan and nothing else: it expands
inputs (a folder, searched recursively; a glob; a list file of paths; or image
files) into a sorted list of photos, and crosses them with the style requests
and the repeat index into :class:`Job` records.

Everything here is deterministic so that a rerun of the same command finds the
same jobs: a job's id hashes the batch id, the photo's sha256, the request and
the repeat index, and its seed is derived from the base seed, the photo, the
request and the repeat (not from the batch id, so adding a photo to a batch does
not change the paintings of the others).
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from artstyle.errors import InputError, UsageError
from artstyle.files import IMAGE_SUFFIXES, sha256_file
from artstyle.paint.request import StyleRequest, draw_picks
from artstyle.settings import Settings

log = logging.getLogger(__name__)

GLOB_CHARS = set("*?[")
SEED_SPACE = 2**31 - 1  # seeds stay positive 32-bit ints, valid for torch and random


def stable_hash(*parts: object, length: int = 16) -> str:
    """A short hex digest of JSON-encoded parts: the same values give the same id on every machine."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def _from_folder(folder: Path) -> list[Path]:
    found = [p for p in folder.rglob("*") if _is_image(p)]
    if not found:
        raise InputError(
            f"no images found in {folder}",
            hint=f"the folder is searched recursively for {', '.join(sorted(IMAGE_SUFFIXES))} files",
        )
    return found


def _from_glob(pattern: str) -> list[Path]:
    found = [Path(p) for p in glob.glob(pattern, recursive=True) if _is_image(Path(p))]
    if not found:
        raise InputError(f"no images match {pattern!r}", hint="check the pattern; quote it so the shell does not expand it")
    return found


def _from_list_file(path: Path) -> list[Path]:
    """One path per line, relative to the list file's folder; blank lines and ``#`` comments ignored."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the list file {path}: {exc}", hint="give a text file with one image path per line") from exc
    entries = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not entries:
        raise InputError(f"the list file {path} names no images", hint="write one image path per line")
    found = []
    for number, entry in enumerate(entries, 1):
        item = Path(entry).expanduser()
        item = item if item.is_absolute() else path.parent / item
        if not _is_image(item):
            raise InputError(
                f"{path}: entry {number} ({entry}) is not an image file",
                hint="paths in a list file are relative to the list file's folder",
            )
        found.append(item)
    return found


def _expand_one(spec: str | Path) -> list[Path]:
    text = str(spec)
    path = Path(text).expanduser()
    if path.is_dir():
        return _from_folder(path)
    if path.is_file():
        return [path] if path.suffix.lower() in IMAGE_SUFFIXES else _from_list_file(path)
    if GLOB_CHARS & set(text):
        return _from_glob(text)
    raise InputError(f"{text} does not exist", hint="give a folder, a glob such as 'photos/*.jpg', a list file or image files")


def expand_inputs(specs: Iterable[str | Path]) -> list[Path]:
    """Every image named by ``specs`` (folders, globs, list files, images), sorted, each once."""
    specs = list(specs)
    if not specs:
        raise UsageError("no inputs given", hint="name a folder, a glob, a list file or image files")
    unique = {p.resolve(): None for spec in specs for p in _expand_one(spec)}
    return sorted(unique)


def style_requests(
    like: Sequence[str] = (), blend: Sequence[str] = (), work: Sequence[str] = (), image: Sequence[str | Path] = ()
) -> list[StyleRequest]:
    """The requests of a command line, in the order given by kind; explicit images must exist."""
    requests = [StyleRequest("like", a) for a in like] + [StyleRequest("blend", b) for b in blend]
    requests += [StyleRequest("work", w) for w in work]
    for item in image:
        path = Path(item).expanduser()
        if not _is_image(path):
            raise InputError(f"style image {item} does not exist or is not an image", hint="check the --style-image path")
        requests.append(StyleRequest("image", str(path.resolve())))
    if not requests:
        raise UsageError("no style given", hint="add --like ARTIST, --blend 'a=0.5,b=0.5', --work ID or --style-image FILE")
    return requests


def check_requests(settings: Settings, requests: Sequence[StyleRequest], seed: int = 0, offline: bool = False) -> None:
    """Resolve every request once now (artists, works, blends, images), so a bad one stops the batch before it writes.

    The same drawing each job does later (:func:`artstyle.paint.request.draw_picks`),
    so an unknown artist, a malformed blend or a missing work raises its own
    error here instead of failing every job. Online, a missing artist is
    fetched now rather than by the first job.
    """
    for request in requests:
        draw_picks(settings, request, seed=seed, offline=offline)


@dataclass(frozen=True)
class Photo:
    """An input photo and the sha256 that identifies it across reruns."""

    path: Path
    sha256: str


def hash_photos(paths: Iterable[Path]) -> list[Photo]:
    """Hash each photo; a file whose bytes repeat an earlier one is dropped (its jobs would be the same)."""
    photos, seen = [], {}
    for path in paths:
        try:
            digest = sha256_file(path)
        except OSError as exc:  # its bytes name its jobs, so a photo that cannot even be read stops the plan
            raise InputError(f"cannot read the photo {path}: {exc.strerror or exc}", hint="check the file's permissions, or leave it out") from exc
        if digest in seen:
            log.warning("%s has the same bytes as %s; painting it once", path, seen[digest])
            continue
        seen[digest] = path
        photos.append(Photo(Path(path), digest))
    return photos


@dataclass(frozen=True)
class Job:
    """One painting of one photo after one request; ``repeat`` tells the per-photo repeats apart."""

    id: str
    input_path: Path
    input_sha256: str
    request: StyleRequest
    repeat: int
    seed: int
    position: int = field(default=0, compare=False)  # order in the plan: jobs run in this order


def job_seed(base_seed: int, input_sha256: str, request: StyleRequest, repeat: int) -> int:
    """A per-job seed that depends on the base seed and the job's content only."""
    return int(stable_hash(base_seed, input_sha256, request.as_dict(), repeat), 16) % SEED_SPACE


def batch_id(out_dir: Path, params: dict, photos: Sequence[Photo]) -> str:
    """The same out dir, options and photos give the same batch id, so a rerun resumes."""
    return stable_hash(str(Path(out_dir).resolve()), params, sorted(p.sha256 for p in photos))


def plan_jobs(batch: str, photos: Sequence[Photo], requests: Sequence[StyleRequest], per_photo: int, base_seed: int) -> list[Job]:
    """Photos × requests × repeats, photo-major, each with a stable id and its own seed."""
    if per_photo < 1:
        raise UsageError(f"--per-photo must be at least 1, not {per_photo}", hint="use e.g. --per-photo 3")
    jobs = []
    for photo in photos:
        for request in requests:
            for repeat in range(per_photo):
                jobs.append(Job(
                    id=stable_hash(batch, photo.sha256, request.as_dict(), repeat),
                    input_path=photo.path, input_sha256=photo.sha256, request=request, repeat=repeat,
                    seed=job_seed(base_seed, photo.sha256, request, repeat), position=len(jobs),
                ))
    return jobs
