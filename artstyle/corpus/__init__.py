"""What we hold of each artist: the catalog, the image store, collecting works (WikiArt or a folder), the sampler."""

from artstyle.corpus.collection import (
    AddReport, ImportReport, VerifyReport, add_artist, artist_summaries, ensure_image, find_works, import_folder,
    show_work, verify,
)

__all__ = [
    "AddReport", "ImportReport", "VerifyReport", "add_artist", "artist_summaries", "ensure_image", "find_works",
    "import_folder", "show_work", "verify",
]
