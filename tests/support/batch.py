"""Shared by the batch tests: photos, and a headless-browser check of a gallery (the corpus: :mod:`support.corpus`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")

# After window load, record each image's state on <html> for --dump-dom to show.
PROBE = """<script>
window.addEventListener('load', function () {
  var images = Array.prototype.map.call(document.images, function (i) {
    return [i.getAttribute('src'), i.complete && i.naturalWidth > 0];
  });
  document.documentElement.setAttribute('data-images', JSON.stringify(images));
});
</script>"""


def photos(paintings: Path, folder: Path) -> Path:
    """Three photos in ``folder``: the two shared ones and skimage's astronaut."""
    from PIL import Image
    from skimage import data

    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted((paintings / "photos").glob("*.jpg")):
        shutil.copyfile(source, folder / source.name)
    Image.fromarray(data.astronaut()).resize((128, 128)).save(folder / "astronaut.png")
    return folder


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.targets += [value for name, value in attrs if name in ("href", "src") and value]


def local_targets(index: Path) -> list[str]:
    """Every href/src of the page that is not a web URL or an in-page anchor."""
    parser = _Links()
    parser.feed(index.read_text(encoding="utf-8"))
    return [t for t in parser.targets if not urlparse(t).scheme and not t.startswith("#")]


def missing_targets(index: Path) -> list[str]:
    return [t for t in local_targets(index) if not (index.parent / unquote(t)).is_file()]


def browser_images(index: Path) -> list[list]:
    """[src, loaded] for each <img> of the page, as headless chromium saw them from disk."""
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}; `.ci/run` installs it (apt-get install chromium)")
    probe = index.with_name(".probe-" + index.name)  # beside the page, so relative links resolve the same
    probe.write_text(index.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory() as profile:
            result = subprocess.run(
                [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--allow-file-access-from-files", "--virtual-time-budget=10000",
                 "--dump-dom", probe.resolve().as_uri()],
                capture_output=True, text=True, timeout=120,
            )
    finally:
        probe.unlink()
    match = re.search(r"data-images=\"([^\"]*)\"", result.stdout)
    assert match, f"the probe did not run; chromium said: {result.stderr[-2000:]}"
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
