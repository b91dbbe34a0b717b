"""Helpers for the cache tests: the shared paintings registered straight into a temporary catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from artstyle.corpus.catalog import now, open_catalog
from artstyle.files import sha256_file


def register_paintings(home: Path, paintings: Path, artists: list[str] | None = None) -> dict[str, list[str]]:
    """Copy ``paintings/<artist>/*.jpg`` under ``home/images`` and add artists and works rows.

    Works get status 'downloaded', ``local_path`` relative to the home and the
    copy's sha256; returns artist slug -> work ids.
    """
    db = open_catalog(home / "catalog.db")
    added: dict[str, list[str]] = {}
    folders = sorted(p for p in paintings.iterdir() if p.is_dir() and p.name != "photos")
    with db.conn:
        for folder in folders:
            if artists is not None and folder.name not in artists:
                continue
            db["artists"].upsert({"slug": folder.name, "name": folder.name.replace("-", " ").title(), "source": "local"}, pk="slug")
            for image in sorted(folder.glob("*.jpg")):
                work_id = f"{folder.name}--{image.stem}"
                target = home / "images" / folder.name / image.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(image, target)
                db["works"].upsert(
                    {
                        "id": work_id, "artist": folder.name, "title": image.stem, "status": "downloaded",
                        "local_path": str(target.relative_to(home)), "sha256": sha256_file(target),
                        "source": "local", "added_at": now(), "updated_at": now(),
                    },
                    pk="id",
                )
                added.setdefault(folder.name, []).append(work_id)
    db.conn.close()
    return added


def synthetic_targets(seed: int, channels=(8, 16), layers=("relu1_1", "relu2_1")) -> dict[str, torch.Tensor]:
    """Symmetric positive semi-definite 'Grams' of random features, one per layer."""
    generator = torch.Generator().manual_seed(seed)
    out = {}
    for layer, c in zip(layers, channels):
        features = torch.rand(c, 50, generator=generator)
        out[layer] = features @ features.T / 50  # [C, C]
    return out
