"""The one definition of where the tests find the repository and the shared test data."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# ``ARTSTYLE_SHARED`` is read once, at import, before the autouse fixture clears ARTSTYLE_* for each test.
SHARED = Path(os.environ.get("ARTSTYLE_SHARED", REPO.parent / "shared"))
PAINTINGS = SHARED / "paintings"
SAMPLES = SHARED / "wikiart" / "samples"
