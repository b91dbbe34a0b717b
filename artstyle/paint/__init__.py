"""One painting request end to end: options, style request, pipeline, provenance."""

from artstyle.paint.pipeline import PaintOptions, PaintResult, paint

__all__ = ["PaintOptions", "PaintResult", "paint"]
