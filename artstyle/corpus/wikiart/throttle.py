"""Politeness shared by every artstyle process of one user: a sliding window kept in a small locked file.

Why a file: two ``corpus add`` processes on one data home (or a batch that
adds an artist while another command scrapes) must share WikiArt's budget,
not take it twice. Why not in the data home: a command that fails before
WikiArt answers (an unknown artist, no network) must leave the home as it
was, so the window lives in a per-user folder of the temporary directory
(mode 0700, checked to be ours), one file per site and kind of request.

Why count from the answer: a request is in the window from the moment it
is sent until ``period`` seconds after its answer arrived. The server saw it
somewhere in between, so however the network delays requests, the server
never sees more than ``count`` of them in any ``period`` (retries and
redirect hops are requests like any other). Without ``fcntl`` (Windows) the
window is shared by the threads of one process only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

log = logging.getLogger(__name__)

POLL = 0.01  # seconds between looks while the window is full of requests still in flight
STALE = 600.0  # a request in flight longer than this belongs to a dead process


def shared_folder() -> Path | None:
    """The per-user folder for throttle files, created 0700 and checked to be ours; None if unsafe."""
    if fcntl is None:
        return None
    folder = Path(tempfile.gettempdir()) / f"artstyle-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        log.warning("%s is not a private folder of this user; the throttle is per process", folder)
        return None
    return folder


def shared_path(root: str, kind: str) -> Path | None:
    folder = shared_folder()
    key = hashlib.sha256(root.encode()).hexdigest()[:16]
    return folder / f"throttle-{key}-{kind}.json" if folder else None


class Throttle:
    """At most ``count`` requests in any ``period`` seconds, shared through ``path`` (or in memory)."""

    def __init__(self, count: int, period: float, path: Path | None = None) -> None:
        self.count, self.period, self.path = max(1, int(count)), float(period), path
        self._lock = threading.Lock()
        self._memory: list[list] = []  # [token, sent, answered or None] when there is no file
        self._serial = 0

    @contextlib.contextmanager
    def slot(self) -> Iterator[float]:
        """Hold one request's place in the window; yields the seconds waited for it."""
        token, waited = self._acquire()
        try:
            yield waited
        finally:
            self._update(lambda entries: [[t, s, time.time() if t == token else a] for t, s, a in entries])

    def _acquire(self) -> tuple[str, float]:
        with self._lock:
            self._serial += 1
            token = f"{os.getpid()}-{id(self)}-{self._serial}"
        waited = 0.0
        while True:
            delay = self._update(lambda entries: self._admit(entries, token))
            if isinstance(delay, list):
                return token, waited
            time.sleep(delay)
            waited += delay

    def acquire(self) -> float:
        """Take a place for a request that is answered at once; the seconds waited."""
        with self.slot() as waited:
            return waited

    def _admit(self, entries: list[list], token: str):
        """The entries with ``token`` added, or the seconds to wait before trying again."""
        now = time.time()
        live = [e for e in entries if (e[2] is None and now - e[1] < STALE) or (e[2] is not None and e[2] + self.period > now)]
        if len(live) < self.count:
            return [*live, [token, now, None]]
        times = sorted(now if a is None else a for _, _, a in live)
        wait = times[-self.count] + self.period - now
        in_flight = any(a is None for _, _, a in live)
        return max(POLL, min(wait, POLL) if in_flight else wait), live

    def _update(self, change):
        """Apply ``change`` to the entries under the lock; returns a delay (entries kept) or the new entries."""
        with self._lock, self._locked_file() as handle:
            entries = self._read(handle)
            result = change(entries)
            if isinstance(result, tuple):
                delay, entries = result
            else:
                delay, entries = result, result
            self._write(handle, entries)
            return delay

    @contextlib.contextmanager
    def _locked_file(self):
        if self.path is None:
            yield None
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as exc:
            log.warning("cannot open the shared throttle %s (%s); the throttle is per process", self.path, exc)
            self.path = None
            yield None
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self, fd) -> list[list]:
        if fd is None:
            return [list(e) for e in self._memory]
        raw = b""
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, 65536):
            raw += chunk
        try:
            data = json.loads(raw or b"[]")
            return [[str(t), float(s), None if a is None else float(a)] for t, s, a in data]
        except (ValueError, TypeError):
            return []  # a damaged window forgets at most one period of history

    def _write(self, fd, entries: list[list]) -> None:
        if fd is None:
            self._memory = entries
            return
        data = json.dumps(entries).encode()
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, data)
