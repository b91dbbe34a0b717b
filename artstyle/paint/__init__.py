"""One painting request end to end: options, style request, pipeline, output and provenance.

``from artstyle.paint import paint, PaintOptions, StyleRequest`` is the public
face; ``prepare`` and ``run_jobs`` split a request into its cheap, validated
part (a :class:`Job`) and the painting itself, which is how ``batch`` paints
several jobs as one batch tensor.
"""

from artstyle.paint.options import PaintOptions
from artstyle.paint.pipeline import Job, PaintResult, batch_key, paint, prepare, run_jobs
from artstyle.paint.request import StyleRequest, default_fetch

__all__ = [
    "Job", "PaintOptions", "PaintResult", "StyleRequest", "batch_key",
    "default_fetch", "paint", "prepare", "run_jobs",
]
