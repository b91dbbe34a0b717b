"""Global settings: the data home, compute device, weights and WikiArt URL.

Defaults live here once; the CLI and environment variables only override them.
A notebook user builds ``Settings()`` (or ``Settings.from_env()``) and passes
it to library functions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

DEFAULT_HOME = Path("corpus")
DEFAULT_WIKIART_URL = "https://www.wikiart.org"

# The layout of a data home; these names are spelled nowhere else.
CATALOG_FILE = "catalog.db"  # the SQLite catalog (artstyle.corpus.catalog)
IMAGES_DIR = "images"  # the image store: images/<artist-slug>/<work-id>.<ext> (artstyle.corpus.store)
CACHE_DIR = "cache"  # style-target cache entries (artstyle.style)

ENV_HOME = "ARTSTYLE_HOME"
ENV_DEVICE = "ARTSTYLE_DEVICE"
ENV_WEIGHTS = "ARTSTYLE_WEIGHTS"
ENV_WIKIART_URL = "ARTSTYLE_WIKIART_URL"


class DeviceChoice(str, Enum):
    """Where tensors live; ``auto`` prefers CUDA, then MPS, then the CPU."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know about its environment."""

    home: Path = DEFAULT_HOME
    device: DeviceChoice = DeviceChoice.auto
    weights: str = "torchvision"  # "torchvision", "random" or a path to a state dict
    wikiart_url: str = DEFAULT_WIKIART_URL
    verbose: bool = False
    quiet: bool = False

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Settings from ``ARTSTYLE_*`` environment variables, then explicit overrides."""
        env = {
            "home": os.environ.get(ENV_HOME),
            "device": os.environ.get(ENV_DEVICE),
            "weights": os.environ.get(ENV_WEIGHTS),
            "wikiart_url": os.environ.get(ENV_WIKIART_URL),
        }
        values = {k: v for k, v in env.items() if v}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.build(**values)

    @classmethod
    def build(cls, **values) -> "Settings":
        """Validate and coerce raw values (strings from a shell) into Settings."""
        from artstyle.errors import UsageError

        if "home" in values:
            values["home"] = Path(values["home"]).expanduser()
        if "device" in values:
            try:
                values["device"] = DeviceChoice(str(getattr(values["device"], "value", values["device"])))
            except ValueError:
                choices = ", ".join(d.value for d in DeviceChoice)
                raise UsageError(
                    f"unknown device {values['device']!r}", hint=f"use one of: {choices}"
                ) from None
        if "wikiart_url" in values:
            values["wikiart_url"] = str(values["wikiart_url"]).rstrip("/")
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        """A copy with some fields changed."""
        return replace(self, **changes)

    @property
    def catalog_path(self) -> Path:
        return self.home / CATALOG_FILE

    @property
    def images_dir(self) -> Path:
        return self.home / IMAGES_DIR

    @property
    def cache_dir(self) -> Path:
        return self.home / CACHE_DIR
