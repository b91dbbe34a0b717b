"""What a painting records about how it was made, so it can be trusted and reproduced.

Every output carries one JSON record: the content image's hash, every style
work (id, artist, title, weight, sha256), every parameter, the seed, the
network weights' identity (with an explicit ``random_weights`` flag: seeded
random weights paint noise, not art), the device, library versions, a summary
of the loss trace and timings. It is written three ways: a sidecar
``<output>.json``, a ``artstyle`` text chunk inside PNG outputs, and a row of
the catalog's ``runs`` table.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
from pathlib import Path

import sqlite_utils
from PIL import Image, PngImagePlugin

from artstyle import __version__
from artstyle.corpus import catalog
from artstyle.files import atomic_write_json, save_image

PNG_KEY = "artstyle"
FORMAT_VERSION = 1


def library_versions() -> dict[str, str]:
    """Versions of what made a painting, from the installed distributions' metadata.

    Read from metadata, not by importing: importing torchvision alone took 2 s
    of a 5 s one-iteration ``paint`` here, and nothing else needs it when the
    weights are not torchvision's.
    """
    import torch

    return {"artstyle": __version__, "python": platform.python_version(), "torch": torch.__version__,
            **{name: _installed(name) for name in ("torchvision", "numpy", "pillow")}}


def _installed(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def trace_summary(trace: list[dict], every: int = 10) -> dict:
    """First, last and best loss, plus every ``every``-th iteration's loss and parts."""
    if not trace:
        return {"iterations": 0}
    best = min(trace, key=lambda t: t["loss"])
    first, last = trace[0], trace[-1]
    return {
        "iterations": len(trace),
        "first": first, "last": last, "best": {"iteration": best["iteration"], "loss": best["loss"]},
        "style_ratio": _ratio(first, last, "style"),
        "samples": [t for t in trace if t["iteration"] % every == 0],
    }


def _ratio(first: dict, last: dict, part: str) -> float | None:
    """How many times a loss part fell over the run (first / last)."""
    before, after = first["parts"].get(part), last["parts"].get(part)
    return None if not before or not after else before / after


def sidecar_path(output: Path) -> Path:
    return output.with_name(output.name + ".json")


def png_info(record: dict) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_itxt(PNG_KEY, json.dumps(record, sort_keys=True, default=str))
    return info


def read_png_record(path: Path) -> dict | None:
    """The provenance stored inside a PNG written by artstyle, or None."""
    with Image.open(path) as image:
        text = getattr(image, "text", {}).get(PNG_KEY)
    return json.loads(text) if text else None


def write_outputs(image: Image.Image, output: Path, record: dict) -> Path:
    """The image (provenance inside when PNG) and then its sidecar, each atomically; returns the sidecar."""
    pnginfo = png_info(record) if output.suffix.lower() == ".png" else None
    save_image(image, output, pnginfo=pnginfo)
    sidecar = sidecar_path(output)
    atomic_write_json(sidecar, record)
    return sidecar


def record_run(db: sqlite_utils.Database, record: dict) -> int:
    """Insert one ``runs`` row for a finished painting or video; returns its id.

    A video's record names its source ``clip`` where a painting's names its
    ``content``, and says ``"kind": "video"``; the row keeps that kind.
    """
    source = record["content"] if "content" in record else record["clip"]
    row = {
        "created_at": record["created_at"], "kind": record.get("kind", "paint"), "content_path": source["path"],
        "content_sha256": source["sha256"], "output_path": record.get("output"),
        "works": catalog.dumps(record["works"]), "params": catalog.dumps(record["params"]),
        "seed": record["seed"], "device": record["device"], "weights": record["weights"]["identity"],
        "seconds": record["timings"]["total"], "final_loss": record["loss"].get("last", {}).get("loss"),
        "provenance": json.dumps(record, sort_keys=True, default=str),
    }
    with db.conn:
        return db["runs"].insert(row).last_pk
