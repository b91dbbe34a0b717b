"""A local WikiArt replay: a real HTTP server on 127.0.0.1 emulating the routes of SPEC §2, §3, §5, §7, §8.

AlphabetJson (§5) lists the replayed artists plus a few decoys (``DECOYS``,
or the server's ``decoys`` argument) so that lenient names can be resolved.

Titles come from the saved real listing (``samples/``, entity-encoded as the
site sends them); images are real JPEGs, from ``shared/paintings`` where a
work needs a real painting (the near-duplicate Turner pair) and generated
otherwise. Faults are injected per request: ``server.add_fault(...)``.

Used by the tests and by ``scripts/bench_scrape.py``:

    with ReplayServer([make_artist()]) as server:
        Settings(wikiart_url=server.url, ...)
"""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
from PIL import Image

from .paths import PAINTINGS, SAMPLES
PAGE_SIZE = 60
PLACEHOLDER_PATH = "/Content/images/FRAME-600x480.jpg"
CHALLENGE_HTML = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
YEARS = ["1916", "1920-1930", "c. 1905", "XX cent.", "XIX-XX cent.", "", "1909-12", "1927"]
STYLES = ["Socialist Realism", "Expressionism", "Fauvism", "Cubism"]
GENRES = ["landscape", "portrait", "genre painting", "still life"]


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def generated_image(seed: int, size: tuple[int, int] = (96, 72)) -> Image.Image:
    """A distinct picture per seed: random colour blocks, upscaled (dHashes ~32 bits apart)."""
    blocks = np.random.default_rng(seed).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return Image.fromarray(blocks).resize(size, Image.Resampling.NEAREST)


def painting(relative: str, longest: int = 128) -> Image.Image:
    image = Image.open(PAINTINGS / relative).convert("RGB")
    image.thumbnail((longest, longest))
    return image


@dataclass
class ReplayWork:
    id: str
    content_id: int
    title: str  # as served: entity-encoded
    year: str
    slug: str
    filename: str
    image: Image.Image | None  # None: the copyright placeholder
    variants: set[str] = field(default_factory=lambda: {"original", "large"})
    bucket: str | None = None
    corrupt_original: bool = False
    style: str = "Expressionism"
    genre: str = "landscape"
    period: str | None = None
    tags: str = ""

    def variant_bytes(self, variant: str) -> bytes:
        if variant == "large":
            small = self.image.copy()
            small.thumbnail((64, 64))
            return jpeg(small)
        if variant == "hd":
            return jpeg(self.image, quality=92)
        data = jpeg(self.image)
        return data[: len(data) // 2] if self.corrupt_original else data


@dataclass
class ReplayArtist:
    slug: str
    name: str
    folder: str  # the image folder, unlike the slug (SPEC §3.3)
    works: list[ReplayWork]
    content_id: int = 254330


def _sample_titles() -> list[str]:
    data = json.loads((SAMPLES / "paintings-by-style-socialist-realism-pages1-9-2018-02.json").read_text())
    encoded = [p["title"] for p in data if "&" in p["title"]]
    plain = [p["title"] for p in data if "&" not in p["title"]]
    return encoded[:20] + plain


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", html.unescape(text).lower()).strip("-")[:60] or "untitled"


def make_artist(count: int = 174, slug: str = "martiros-sarian", name: str = "Martiros Sarian",
                folder: str = "martiros-saryan", real: bool = True, id_base: int = 0) -> ReplayArtist:
    """A replayed artist with realistic quirks at fixed indexes (see :data:`SPECIAL`)."""
    titles = _sample_titles()
    works = []
    for i in range(count):
        title = titles[i % len(titles)]
        painting_slug = f"{_slugify(title)}-{i}"
        works.append(ReplayWork(
            id=f"57727a66edc2cb3880{id_base + i:06x}", content_id=224000 + id_base + i, title=title,
            year=YEARS[i % len(YEARS)], slug=painting_slug, filename=f"{painting_slug}.jpg",
            image=generated_image(id_base + i), style=STYLES[i % len(STYLES)], genre=GENRES[i % len(GENRES)],
            period="Early Years" if i % 3 == 0 else None, tags="animals, horses" if i % 2 else "",
            bucket="00125" if i % 7 == 3 else None,
            variants={"hd", "original", "large"} if i % 6 == 0 else ({"original"} if i % 4 == 1 else {"original", "large"}),
        ))
    _add_quirks(works, real)
    return ReplayArtist(slug=slug, name=name, folder=folder, works=works)


# index -> quirk; tests read these to know what to expect
SPECIAL = {"placeholder": [4, 10], "exact_duplicate": (12, 13), "near_duplicate": (14, 15),
           "non_ascii": 16, "no_original": 17, "deleted": 18, "corrupt_original": 19}


def _add_quirks(works: list[ReplayWork], real: bool) -> None:
    n = len(works)
    for i in SPECIAL["placeholder"]:
        if i < n:
            works[i].image = None
    a, b = SPECIAL["exact_duplicate"]
    if b < n:
        works[b].image, works[b].variants = works[a].image, set(works[a].variants)
    a, b = SPECIAL["near_duplicate"]
    if b < n and real and PAINTINGS.is_dir():
        works[a].image = painting("william-turner/the-shipwreck-1805.jpg", 128)
        works[b].image = painting("william-turner/the-shipwreck-1805-second-copy.jpg", 112)
        works[a].variants = works[b].variants = {"original", "large"}
    for key, change in (("non_ascii", "the-town-hall-in-mödling-1842.jpg"),):
        if SPECIAL[key] < n:
            works[SPECIAL[key]].filename = change
    if SPECIAL["no_original"] < n:
        works[SPECIAL["no_original"]].variants = {"large"}
    if SPECIAL["deleted"] < n:
        works[SPECIAL["deleted"]].variants = set()
    if SPECIAL["corrupt_original"] < n:
        works[SPECIAL["corrupt_original"]].corrupt_original = True
        works[SPECIAL["corrupt_original"]].variants = {"original", "large"}


# Artists WikiArt lists (AlphabetJson) that the replay has no works for: (url, name, in public domain).
DECOYS = [("vincent-van-gogh", "Vincent van Gogh", True), ("claude-monet", "Claude Monet", True),
          ("paul-cezanne", "Paul C&#233;zanne", True), ("william-turner", "William Turner", True),
          ("zdzislaw-beksinski", "Zdzislaw Beksinski", False)]


def alphabet_item(url: str, name: str, content_id: int) -> dict:
    """One AlphabetJson item shaped like the real one (SPEC §5; note ``dictonaries`` and the trailing space)."""
    words = html.unescape(name).split()
    return {"contentId": content_id, "artistName": name, "url": url,
            "lastNameFirst": f"{words[-1]} {' '.join(words[:-1])} ", "birthDay": None, "deathDay": None,
            "birthDayAsString": "", "deathDayAsString": "", "image": f"https://uploads3.wikiart.org/images/{url}.jpg!Portrait.jpg",
            "wikipediaUrl": f"http://en.wikipedia.org/wiki/{'_'.join(words)}", "dictonaries": [310, 2738]}


@dataclass
class Fault:
    """Answer matching requests with ``status`` (``times`` times), or truncate/slow them."""

    match: Callable[[str, dict], bool]
    status: int = 503
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    times: int = 1
    truncate: bool = False
    # hostile answers (issue 14); each applies to the real body of the matched route
    redirect: str | None = None  # answer 302 to this Location (a path here makes a loop with itself)
    trickle: float = 0.0  # seconds between single bytes of the body (a body that never finishes)
    cut_after: int | None = None  # advertise the full length, send this many bytes, hang up
    advertise: int | None = None  # the Content-Length to claim (larger than the body)
    repeat: int = 1  # send the body this many times (a body larger than it should be)

    @property
    def streams(self) -> bool:
        return bool(self.redirect or self.trickle or self.cut_after is not None or self.advertise or self.repeat > 1)


class ReplayServer:
    """ThreadingHTTPServer on 127.0.0.1:0 in a daemon thread; ``url`` is its root."""

    def __init__(self, artists: list[ReplayArtist], image_delay: float = 0.0, null_past_end: bool = True,
                 decoys: list[tuple[str, str, bool]] = DECOYS) -> None:
        self.artists = {a.slug: a for a in artists}
        self.decoys = list(decoys)
        self.image_delay = image_delay
        self.null_past_end = null_past_end
        self.faults: list[Fault] = []
        # hostile values served in place of the real ones (issue 14):
        # "artist_url": the artist JSON's url; "site_id"/"page_id"/"content_id"/"image": {work index: value}
        self.hostile: dict = {}
        self.log: list[tuple[float, str]] = []
        self.agents: set[str] = set()
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.images = self._image_table()

    def __enter__(self) -> "ReplayServer":
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_fault(self, match: Callable[[str, dict], bool], **kwargs) -> Fault:
        fault = Fault(match=match, **kwargs)
        self.faults.append(fault)
        return fault

    def requests_to(self, pattern: str) -> list[str]:
        return [path for _, path in self.log if re.search(pattern, path)]

    # ---- data
    def image_url(self, artist: ReplayArtist, work: ReplayWork) -> str:
        if work.image is None:
            return self.url + PLACEHOLDER_PATH
        bucket = f"/{work.bucket}" if work.bucket else ""
        return f"{self.url}{bucket}/images/{artist.folder}/{work.filename}"

    def _image_table(self) -> dict[str, tuple[ReplayWork, str]]:
        table = {}
        for artist in self.artists.values():
            for work in artist.works:
                if work.image is None:
                    continue
                path = urlsplit(self.image_url(artist, work)).path
                for variant in work.variants:
                    suffix = {"original": "", "hd": "!HD.jpg", "large": "!Large.jpg"}[variant]
                    table[path + suffix] = (work, variant)
        return table

    def listing(self, artist: ReplayArtist, page: int) -> dict:
        start = (page - 1) * PAGE_SIZE
        chunk = artist.works[start:start + PAGE_SIZE]
        if page == 2 and chunk:
            chunk = [artist.works[start - 1]] + chunk  # page 1's last work again (SPEC §3.4)
        paintings = [self._site_record(artist, w) for w in chunk]
        return {"ArtistsHtml": None, "CanLoadMoreArtists": False, "Artists": None, "AllArtistsCount": 0,
                "Paintings": paintings or (None if self.null_past_end else []), "PaintingsHtml": None,
                "PaintingsHtmlBeta": None, "AllPaintingsCount": len(artist.works), "PageSize": PAGE_SIZE, "TimeLog": None}

    def _hostile(self, kind: str, artist: ReplayArtist, work: ReplayWork, value):
        table = self.hostile.get(kind) or {}
        index = artist.works.index(work)
        return table[index] if index in table else value

    def _site_record(self, artist: ReplayArtist, work: ReplayWork) -> dict:
        return {"id": self._hostile("site_id", artist, work, work.id), "title": work.title, "year": work.year, "width": 96, "height": 72,
                "artistName": html.escape(artist.name), "image": self._hostile("image", artist, work, self.image_url(artist, work)), "map": "0123**67*",
                "paintingUrl": f"/en/{artist.slug}/{work.slug}", "artistUrl": f"/en/{artist.slug}",
                "albums": None, "flags": 2, "images": None}

    def app_list(self, artist: ReplayArtist) -> list[dict]:
        out = []
        for w in artist.works:
            image = self.image_url(artist, w)
            year = re.search(r"\d{4}", w.year)
            out.append({"title": html.unescape(w.title), "contentId": self._hostile("content_id", artist, w, w.content_id), "artistContentId": artist.content_id,
                        "artistName": artist.name, "completitionYear": int(year.group()) if year else None,
                        "yearAsString": w.year or None, "width": 96, "height": 72,
                        "image": image if w.image is None else image + "!Large.jpg"})
        return out

    def alphabet(self, public_domain: str | None) -> list[dict]:
        """AlphabetJson: the replayed artists (public domain) and the decoys, filtered by ``inPublicDomain``."""
        entries = [(a.slug, html.escape(a.name), a.content_id, True) for a in self.artists.values()]
        entries += [(url, name, 195000 + i, public) for i, (url, name, public) in enumerate(self.decoys)]
        wanted = {"true": True, "false": False}.get(public_domain or "")
        return [alphabet_item(url, name, cid) for url, name, cid, public in sorted(entries)
                if wanted is None or public == wanted]

    def image_json(self, artist: ReplayArtist, work: ReplayWork) -> dict:
        base = next(r for r in self.app_list(artist) if r["contentId"] == work.content_id)
        return {**base, "artistUrl": artist.slug, "url": work.slug, "period": work.period, "style": work.style,
                "genre": work.genre, "tags": work.tags, "material": None, "technique": None, "galleryName": None}

    def text_list(self, artist: ReplayArtist) -> str:
        rows = "".join(
            f'<li class="painting-list-text-row"><a href="/en/{artist.slug}/{w.slug}">{w.title}</a>'
            f"<span>, {w.year}</span>"
            + (', <a class="external" target="_blank" href="https://en.wikipedia.org/wiki/X">Wikipedia article</a>' if i % 9 == 0 else "")
            + "</li>\n" for i, w in enumerate(artist.works))
        return f'<html><body><ul class="painting-list-text">\n{rows}</ul></body></html>'

    def painting_page(self, artist: ReplayArtist, work: ReplayWork) -> str:
        image = self.image_url(artist, work)
        thumbs = {"ImageThumbnailsModel": [{"Thumbnails": [{"Name": "Large", "Url": image + "!Large.jpg"},
                                                             {"Name": "Original", "Url": image}]}]}
        pjson = {"_id": self._hostile("page_id", artist, work, work.id), "title": html.unescape(work.title), "year": work.year, "image": image,
                 "artistName": artist.name, "artistUrl": artist.slug}
        period = f"<li><s>Period:</s><span>{work.period}</span></li>" if work.period else ""
        return (
            f'<html><head><meta property="og:image" content="{image}!Large.jpg"></head><body>'
            f'<main ng-controller="ArtworkViewCtrl" ng-init="thumbnailSizesModel = {html.escape(json.dumps(thumbs))};"></main>'
            f'<div class="wiki-layout-painting-info-bottom" ng-init="paintingJson = {html.escape(json.dumps(pjson))}"></div>'
            f'<div class="wiki-layout-artist-info"><article><h3>{work.title}</h3>'
            f'<ul><li><s>Date:</s><span>{work.year}</span></li>'
            f'<li class="dictionary-values"><s>Style:</s><span><a href="/en/s">{work.style}</a></span></li>'
            f'<li class="dictionary-values"><s>Genre:</s><span><a href="/en/g"><span itemprop="genre">{work.genre}</span></a></span></li>'
            f"{period}</ul></article></div></body></html>")

    def artist_json(self, artist: ReplayArtist) -> dict:
        data = json.loads((SAMPLES / "artist-thomas-cole-json2.json").read_text())
        data.pop("_provenance", None)
        data.update({"artistName": artist.name, "OriginalArtistName": artist.name, "url": artist.slug,
                     "contentId": artist.content_id, "wikipediaUrl": f"http://en.wikipedia.org/wiki/{artist.name.replace(' ', '_')}"})
        if "artist_url" in self.hostile:
            data["url"] = self.hostile["artist_url"]
        return data


def _handler(server: ReplayServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path, query = unquote(parts.path), {k: v[-1] for k, v in parse_qs(parts.query).items()}
            with server.lock:
                server.log.append((time.monotonic(), self.path))
                server.agents.add(self.headers.get("User-Agent", ""))
                fault = next((f for f in server.faults if f.times > 0 and f.match(path, query)), None)
                if fault:
                    fault.times -= 1
            if fault and fault.streams:
                return self._hostile_answer(fault, *self._route(path, query))
            if fault and not fault.truncate:
                return self._send(fault.status, fault.body, fault.headers.get("Content-Type", "text/plain"), fault.headers)
            status, body, kind = self._route(path, query)
            if fault and fault.truncate:
                return self._send(status, body, kind, truncate=True)
            self._send(status, body, kind)

        def _route(self, path: str, query: dict) -> tuple[int, bytes, str]:
            if path in server.images or path == PLACEHOLDER_PATH:
                time.sleep(server.image_delay)
                if path == PLACEHOLDER_PATH:
                    return 200, jpeg(Image.new("RGB", (60, 48), (200, 200, 200))), "image/jpeg"
                work, variant = server.images[path]
                return 200, work.variant_bytes(variant), "image/jpeg"
            if "/images/" in path:
                return 404, b"<html><body>Not found</body></html>", "text/html"
            if path == "/en/App/Artist/AlphabetJson":
                if query.get("v") != "new":  # the old URL without v=new answers 500 (SPEC §5)
                    return 500, b"<html><body>Server Error</body></html>", "text/html"
                return 200, _json(server.alphabet(query.get("inPublicDomain"))), "application/json"
            match = re.fullmatch(r"/en/App/Painting/PaintingsByArtist", path)
            if match:
                artist = server.artists.get(query.get("artistUrl", ""))
                return (200, _json(server.app_list(artist)), "application/json") if artist else (500, b"error", "text/html")
            match = re.fullmatch(r"/en/App/Painting/ImageJson/(\d+)", path)
            if match:
                for artist in server.artists.values():
                    for work in artist.works:
                        if work.content_id == int(match.group(1)):
                            return 200, _json(server.image_json(artist, work)), "application/json"
                return 500, b"<html>error</html>", "text/html"
            match = re.fullmatch(r"/en/([^/]+)(/.*)?", path)
            artist = server.artists.get(match.group(1)) if match else None
            if artist is None:
                return 500, b"<html><body>Server Error</body></html>", "text/html"  # SPEC §3.5
            rest = match.group(2) or ""
            if rest == "" and query.get("json") == "2":
                return 200, _json(server.artist_json(artist)), "application/json"
            if rest == "/mode/all-paintings" and query.get("json") == "2":
                return 200, _json(server.listing(artist, int(query.get("page", "1")))), "application/json"
            if rest == "/all-works/text-list":
                return 200, server.text_list(artist).encode(), "text/html; charset=utf-8"
            for work in artist.works:
                if rest == f"/{work.slug}":
                    return 200, server.painting_page(artist, work).encode(), "text/html; charset=utf-8"
            return 404, b"<html>Not found</html>", "text/html"

        def _hostile_answer(self, fault: Fault, status: int, body: bytes, kind: str) -> None:
            if fault.redirect:
                self.send_response(302)
                self.send_header("Location", fault.redirect)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.close_connection = True
                return
            body = body * fault.repeat
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(fault.advertise or len(body)))
            self.end_headers()
            try:
                if fault.trickle:
                    for i in range(len(body)):
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(fault.trickle)
                else:
                    self.wfile.write(body if fault.cut_after is None else body[:fault.cut_after])
                    self.wfile.flush()
            except OSError:
                pass  # the client gave up, as it should
            self.close_connection = True

        def _send(self, status: int, body: bytes, kind: str, headers: dict | None = None, truncate: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                if name != "Content-Type":
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if truncate else body)
            self.close_connection = True

    return Handler


def _json(obj) -> bytes:
    return json.dumps(obj).encode()
