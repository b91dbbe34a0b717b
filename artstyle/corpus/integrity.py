"""Verifying the image store against the catalog, and repairing it.

Why this module: checking every stored file (present, decodable, same
sha256 as recorded) is its own job, run rarely and on the whole data home;
``fix`` re-downloads WikiArt works and marks local ones that cannot be
re-fetched, through the same writers as collection.
"""

from __future__ import annotations

import contextlib

from dataclasses import asdict, dataclass, field
from pathlib import Path

from artstyle.corpus import catalog
from artstyle.corpus import store
from artstyle.corpus.collection import Progress, no_progress, save_result
from artstyle.corpus.wikiart import Client, ClientConfig
from artstyle.errors import InputError, StorageError
from artstyle.files import inside, sweep_parts
from artstyle.settings import Settings


@dataclass
class VerifyReport:
    checked: int = 0
    ok: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)  # unreadable, or bytes that no longer match the sha256
    repaired: list[str] = field(default_factory=list)
    unrepaired: list[str] = field(default_factory=list)
    parts_removed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.corrupt) or len(self.repaired) == len(self.missing) + len(self.corrupt)


def _check(home: Path, row: dict) -> str | None:
    """None when the file is there, decodes and matches its hash; else 'missing' or 'corrupt'."""
    path = home / (row["local_path"] or "")
    if not row["local_path"] or not path.is_file():
        return "missing"
    try:
        facts = store.inspect_image(path.read_bytes(), str(path))
    except (InputError, OSError):
        return "corrupt"
    return None if facts.sha256 == row["sha256"] else "corrupt"


def verify(settings: Settings, *, fix: bool = False, workers: int = 4, config: ClientConfig | None = None,
           progress: Progress = no_progress, client: Client | None = None) -> VerifyReport:
    """Re-hash every downloaded work's file; with ``fix``, re-download or mark what is missing or corrupt."""
    db = catalog.open_catalog(settings.catalog_path, create=False)
    rows = [dict(r) for r in db["works"].rows_where("status = 'downloaded'", order_by="id")]
    report = VerifyReport(checked=len(rows))
    bad = []
    for done, row in enumerate(rows, 1):
        problem = _check(settings.home, row)
        if problem:
            getattr(report, problem).append(row["id"])
            bad.append(row)
        progress("verifying", done, len(rows))
    report.ok = len(rows) - len(bad)
    if fix:
        report.parts_removed = sum(sweep_parts(d) for d in settings.images_dir.glob("*") if d.is_dir())
        if bad:
            _repair(settings, db, bad, workers, client or Client(settings.wikiart_url, config), progress, report)
    return report


def _repair(settings, db, bad: list[dict], workers: int, client: Client, progress: Progress, report: VerifyReport) -> None:
    for row in bad:
        if row["local_path"]:
            with contextlib.suppress(StorageError):  # a damaged row never deletes outside images/
                inside(settings.images_dir, settings.home / row["local_path"]).unlink(missing_ok=True)
        local = row["source"] == "local"
        save_result(db, row["id"], {"status": "failed" if local else "listed",
                                    "reason": "local file missing or corrupt; import it again" if local else None})
        if local:
            report.unrepaired.append(row["id"])
    remote = [catalog.get_work(db, r["id"]) for r in bad if r["source"] != "local"]
    for done, (work, result) in enumerate(store.download_many(client, settings.home, remote, workers), 1):
        save_result(db, work["id"], result)
        (report.repaired if result["status"] == "downloaded" else report.unrepaired).append(work["id"])
        progress("repairing", done, len(remote))
    for artist in sorted({r["artist"] for r in bad}):
        store.flag_duplicates(db, artist)
