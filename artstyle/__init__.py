"""artstyle: a whole-artist corpus manager and batch stylizer.

Paint a photo in the style of an artist's works, after Gatys et al. (2015),
with Reinhard et al. (2001) colour transfer and Mu & Francl's (2015)
whole-artist sampling: one random work per request.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("artstyle")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.1.0"

from artstyle.errors import ArtstyleError  # noqa: E402
from artstyle.settings import Settings  # noqa: E402
from artstyle.paint import PaintOptions, PaintResult, paint  # noqa: E402  (artstyle.paint is the function)

__all__ = ["ArtstyleError", "PaintOptions", "PaintResult", "Settings", "__version__", "paint"]
