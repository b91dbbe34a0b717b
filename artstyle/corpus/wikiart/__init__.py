"""WikiArt: one HTTP choke point (``client``), one pure parser per route, one listing interface (``routes``)."""

from artstyle.corpus.wikiart.client import Client, ClientConfig, HTTPStatusError, NotJsonError, QuotaError, UnreachableError
from artstyle.corpus.wikiart.routes import fetch_artist, fetch_artist_list, fetch_details, list_works

__all__ = [
    "Client", "ClientConfig", "HTTPStatusError", "NotJsonError", "QuotaError", "UnreachableError",
    "fetch_artist", "fetch_artist_list", "fetch_details", "list_works",
]
