"""What we hold of each artist: the catalog, the image store, collecting works (WikiArt or a folder), the sampler.

The public API other packages and notebooks import from here:
``add_artist`` and ``ensure_image`` (:mod:`.collection`), ``import_folder``
(:mod:`.local`), ``verify`` (:mod:`.integrity`), ``artist_summaries``,
``find_works`` and ``show_work`` (:mod:`.browse`), and their reports.
"""

from artstyle.corpus.browse import artist_summaries, find_works, show_work
from artstyle.corpus.collection import AddReport, add_artist, ensure_image
from artstyle.corpus.local import ImportReport, import_folder
from artstyle.corpus.integrity import VerifyReport, verify

__all__ = [
    "AddReport", "ImportReport", "VerifyReport", "add_artist", "artist_summaries", "ensure_image", "find_works",
    "import_folder", "show_work", "verify",
]
