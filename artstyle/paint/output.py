"""What a painting leaves behind: the output file name and checks, the provenance record, the files and the ``runs`` row.

Written only once the image is final, atomically, so an interrupted run never
leaves a half-written painting or a sidecar that describes another image.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from artstyle.core.optimize import OptimizeResult
from artstyle.corpus import catalog
from artstyle.errors import UsageError
from artstyle.files import SAVE_FORMATS
from artstyle.paint.provenance import FORMAT_VERSION, library_versions, record_run, sidecar_path, trace_summary, write_outputs
from artstyle.settings import Settings

if TYPE_CHECKING:
    from artstyle.paint.pipeline import Job


def check_output(output: Path, force: bool) -> None:
    """Refuse unsupported formats and existing files (unless ``force``) before any work is done."""
    if output.suffix.lower() not in SAVE_FORMATS:
        raise UsageError(f"cannot write {output.name}: unsupported format {output.suffix or '(none)'}", hint="use a .png, .jpg or .webp file name")
    if output.exists() and not force:
        raise UsageError(f"{output} already exists", hint="choose another --output, or pass --force to overwrite it")


def provenance_record(job: "Job", image: Image.Image, result: OptimizeResult) -> dict:
    """Everything needed to know how ``image`` was made (README: Output)."""
    net = job.net
    return {
        "format": FORMAT_VERSION,
        "created_at": catalog.now(),
        "content": {"path": job.content_path, "sha256": job.content_sha, "size": list(job.content_image.size), "painted_size": list(image.size)},
        "works": [p.as_dict() for p in job.picks],
        "request": job.request,
        "params": job.opts.as_dict(),
        "targets": job.target_config.as_dict(),
        "seed": job.seed,
        "device": str(job.device),
        "weights": {"identity": net.weights_identity, "random_weights": net.random_weights},
        "random_weights": net.random_weights,
        "versions": library_versions(),
        "loss": trace_summary(result.trace),
        "stopped_early": result.stopped_early,
        "timings": {**{k: round(v, 4) for k, v in job.timings.items()},
                    "seconds_per_iteration": round(result.seconds / max(1, result.iterations), 4),
                    "first_step_at": round(result.started_at, 3)},
    }


def write_painting(settings: Settings, job: "Job", image: Image.Image, record: dict) -> None:
    """Write the image and its sidecar, then the ``runs`` row (``record`` gains output, sidecar and run id)."""
    record["output"] = str(job.output)
    record["sidecar"] = str(sidecar_path(job.output))
    write_outputs(image, job.output, record)
    record["run_id"] = record_run(catalog.open_catalog(settings.catalog_path), record)
