"""What ``paint`` checks before it draws a work, and what it says when it is offline.

Cheap checks come first, so a bad ``--weights`` value, ``--device cuda`` on a
machine without CUDA or a misspelled artist fail before any work is drawn or a
progress bar appears. When WikiArt turns out to be unreachable, one message
lists everything this run lacks (the artists' works and, when they are not on
this machine, the VGG-19 weights) and the commands that get around it,
instead of one failure now and another after the next attempt.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import torch

from artstyle.core.device import resolve_device
from artstyle.core.features import VGG19_URL, check_weights, torchvision_file
from artstyle.corpus import catalog
from artstyle.corpus.sampler import parse_blend
from artstyle.errors import ArtstyleError, NetworkError
from artstyle.paint.request import StyleRequest
from artstyle.settings import Settings


def cheap_checks(settings: Settings) -> tuple[torch.device, bool]:
    """(the device, whether the weights are on this machine); raises on a wrong device or ``--weights``."""
    return resolve_device(settings.device), check_weights(settings.weights)


def missing_artists(settings: Settings, request: StyleRequest) -> list[str]:
    """The artists of ``request`` that the local catalog does not hold."""
    if request.kind == "like":
        wanted = list(request.values)
    elif request.kind == "blend":
        wanted = [name for name, _ in parse_blend(request.value)]
    else:
        return []
    if not settings.catalog_path.exists():
        return wanted
    db = catalog.open_catalog(settings.catalog_path, create=False)
    try:
        return [name for name in wanted if not _known(db, name)]
    finally:
        db.conn.close()


def _known(db, name: str) -> bool:
    """An artist or a work id the catalog holds."""
    for look_up in (catalog.resolve_artist, catalog.get_work):
        try:
            look_up(db, name)
            return True
        except ArtstyleError:  # missing or ambiguous: either way not usable offline
            continue
    return False


def offline_error(settings: Settings, request: StyleRequest, weights_here: bool, photo: str) -> NetworkError:
    """One error naming everything missing while WikiArt is unreachable, and the next commands."""
    artists = missing_artists(settings, request) or list(request.values)
    lines = [f"works by {', '.join(artists)}: not in the catalog ({settings.catalog_path}), "
             f"and WikiArt ({settings.wikiart_url}) is unreachable"]
    if not weights_here:
        lines.append(f"VGG-19 weights (--weights torchvision): not in the torch hub cache ({torchvision_file().parent}), "
                     f"and the 548 MB download needs the internet")
    first = artists[0]
    quoted, request_flags = shlex.quote(first), _request_flags(request)
    commands = [f"artstyle corpus import DIR --artist {quoted}   # paintings of yours, one image per work"]
    if weights_here:
        commands.append(f"artstyle paint {photo} {request_flags}   # then paint as before")
    else:
        commands += [
            f"artstyle paint {photo} {request_flags} --weights PATH   # {Path(VGG19_URL).name}, copied from a connected machine",
            f"artstyle paint {photo} {request_flags} --weights random   # to try it out: random weights paint noise, not style",
        ]
    commands.append(f"artstyle paint {photo} --style-image PAINTING.jpg --weights random   # needs no catalog and no download")
    noun = "thing is" if len(lines) == 1 else "things are"
    message = f"cannot paint offline: {len(lines)} {noun} missing\n" + "\n".join(f"  - {line}" for line in lines)
    return NetworkError(message, hint="without the internet, run\n" + "\n".join(f"  {c}" for c in commands))


def _request_flags(request: StyleRequest) -> str:
    if request.kind == "blend":
        return f"--blend {shlex.quote(request.value)}"
    return " ".join(f"--like {shlex.quote(v)}" for v in request.values)


def is_unreachable(exc: BaseException) -> bool:
    """WikiArt could not be reached at all (not a refused or malformed answer)."""
    from artstyle.corpus.wikiart import UnreachableError  # lazily: requests loads only when a fetch ran

    return isinstance(exc, UnreachableError)
