"""The single HTTP choke point for WikiArt: session, User-Agent, throttle, retries, typed errors.

Every request goes through :meth:`Client.request` (the gallery-dl habit,
STYLE §5). Politeness follows WikiArt's published limits (SPEC §9): at most 10
page/JSON requests per 2.5 s and 20 image downloads per second, both
configurable. Retries use exponential backoff with jitter on 429, 5xx, 403
challenges and connection errors, honouring ``Retry-After``; the API quota
answer and HTML served where JSON was expected are permanent (SPEC §10).
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import requests
import urllib3

from artstyle import __version__
from artstyle.corpus.wikiart.throttle import Throttle, shared_path
from artstyle.errors import NetworkError, clip, shorten_middle

log = logging.getLogger(__name__)

USER_AGENT = f"artstyle/{__version__} (whole-artist corpus for style transfer research; python-requests)"
RETRY_STATUSES = {403, 408, 429, 500, 502, 503, 504}
QUOTA_MARK = "API limit exceeded"  # SPEC §9: keyless v2 quota answers 500 with this body
OFFLINE_HINT = "check the connection and --wikiart-url; offline, add local images with `artstyle corpus import DIR --artist NAME`"


class _Truncated(requests.ConnectionError):
    """The body ended before its Content-Length: retried like a dropped connection."""


class HTTPStatusError(NetworkError):
    """The server answered with an error status (after any retries)."""

    def __init__(self, message: str, status: int, url: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.status, self.url = status, url


class SiteError(NetworkError):
    """A condition of the whole site, not of one item: it stops a scrape (the rest would fail too)."""


class UnreachableError(SiteError):
    """No answer at all: connection refused, DNS failure, connect timeouts, every retry."""


class NotJsonError(NetworkError):
    """HTML (a challenge or error page) where JSON was expected; permanent, not retried."""


class QuotaError(SiteError):
    """WikiArt's API quota is spent; retrying now only makes it worse."""


class RateLimitedError(HTTPStatusError, SiteError):
    """429 on every retry: WikiArt wants us to stop for now."""


class BlockedError(HTTPStatusError, SiteError):
    """A challenge page (Cloudflare) on every retry: automated requests are blocked for now."""


class ItemError(NetworkError):
    """One download went wrong (too large, too slow, redirect loop, cut off); the scrape goes on."""


@dataclass(frozen=True)
class ClientConfig:
    """Politeness and patience. Rates are (requests, per seconds)."""

    page_rate: tuple[int, float] = (10, 2.5)
    image_rate: tuple[int, float] = (20, 1.0)
    timeout: float = 30.0  # per read
    deadline: float = 300.0  # the whole of one request, body included
    max_bytes: int = 100 * 1024 * 1024  # a larger body (or advertised Content-Length) is refused
    max_redirects: int = 5
    retries: int = 5
    backoff: float = 1.0  # first retry waits about this long, doubling up to backoff_max
    backoff_max: float = 32.0
    max_retry_after: float = 120.0
    user_agent: str = USER_AGENT
    shared: bool = True  # share the throttle with the user's other artstyle processes (throttle.py)

    def lower_bound(self, pages: int, images: int) -> float:
        """Seconds the throttle alone needs for this many requests (each kind in sequence)."""
        bound = 0.0
        for count, (cap, period) in ((pages, self.page_rate), (images, self.image_rate)):
            bound += ((count - 1) // cap) * period if count > 0 else 0.0
        return bound


RateLimiter = Throttle  # the in-process name older code and tests use


def encode_url(url: str) -> str:
    """Percent-encode non-ASCII characters in the path and query (SPEC §8), leaving %XX alone."""
    parts = urlsplit(url)
    path = quote(parts.path, safe="/%!:@-._~()'*+,;=")
    query = quote(parts.query, safe="=&%:/!?+,;@-._~")
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


@dataclass
class Stats:
    requests: int = 0
    pages: int = 0
    images: int = 0
    retries: int = 0
    throttled_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, kind: str, waited: float) -> None:
        with self.lock:
            self.requests += 1
            self.throttled_s += waited
            if kind == "image":
                self.images += 1
            else:
                self.pages += 1


class Client:
    """A polite HTTP client for one WikiArt root URL."""

    def __init__(self, root: str, config: ClientConfig | None = None) -> None:
        self.root = root.rstrip("/")
        self.config = config or ClientConfig()
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": self.config.user_agent, "Accept-Language": "en-US,en;q=0.5"})
        shared = self.config.shared
        self.limiters = {kind: Throttle(*rate, shared_path(self.root, kind) if shared else None)
                         for kind, rate in (("page", self.config.page_rate), ("image", self.config.image_rate))}
        self.stats = Stats()
        self.redirected: set[str] = set()  # redirect targets seen (an error page after a redirect is permanent)

    def url(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else self.root + path_or_url

    def _backoff(self, attempt: int) -> float:
        delay = min(self.config.backoff_max, self.config.backoff * 2**attempt)
        return delay * (0.5 + random.random() / 2)  # jitter: spread retries of parallel workers

    def _retry_after(self, response: requests.Response, attempt: int) -> float:
        value = response.headers.get("Retry-After", "").strip()
        if value.isdigit():
            return min(float(value), self.config.max_retry_after)
        try:  # the other form RFC 9110 allows: an HTTP date
            moment = email.utils.parsedate_to_datetime(value)
            return min(max(0.0, moment.timestamp() - time.time()), self.config.max_retry_after)
        except (TypeError, ValueError, IndexError):
            return self._backoff(attempt)

    def _send(self, url: str, kind: str) -> requests.Response:
        """One answer, following redirects by hand so that every hop waits for the throttle."""
        deadline = time.monotonic() + self.config.deadline
        for _hop in range(self.config.max_redirects + 1):
            with self.limiters[kind].slot() as waited:
                self.stats.count(kind, waited)
                response = self.session.get(url, timeout=self.config.timeout, stream=True, allow_redirects=False)
            location = response.headers.get("Location") if response.is_redirect else None
            if not location:
                self._read_body(response, url, deadline)
                return response
            response.close()
            url = encode_url(urljoin(url, location))
            if urlsplit(url).scheme not in ("http", "https"):
                raise ItemError(f"{shorten_middle(url)} is not an http(s) redirect target", hint="this item has no usable data")
            self.redirected.add(url)
        raise ItemError(f"more than {self.config.max_redirects} redirects (a loop?) ending at {shorten_middle(url)}",
                        hint="this item has no usable data on WikiArt")

    def _read_body(self, response: requests.Response, url: str, deadline: float) -> None:
        """Read the body within the size cap and the overall deadline (a trickle cannot hang us)."""
        cap = self.config.max_bytes
        advertised = response.headers.get("Content-Length", "")
        if advertised.isdigit() and int(advertised) > cap:
            response.close()
            raise ItemError(f"{shorten_middle(url)} is {_mb(int(advertised))}, over the {_mb(cap)} limit",
                            hint="raise the limit with --max-mb if this file is wanted")
        chunks, size = [], 0
        read = getattr(response.raw, "read1", response.raw.read)
        try:
            while chunk := read(65536, decode_content=True):
                size += len(chunk)
                if size > cap:
                    raise ItemError(f"{shorten_middle(url)} sent more than {_mb(cap)}",
                                    hint="raise the limit with --max-mb if this file is wanted")
                if time.monotonic() > deadline:
                    raise ItemError(f"{shorten_middle(url)} did not finish within {self.config.deadline:g} s",
                                    hint="the server is sending too slowly; rerun later")
                chunks.append(chunk)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Truncated(f"connection cut after {size} bytes ({type(exc).__name__})") from None
        finally:
            response.close()
        response._content = b"".join(chunks)  # what requests' own .content would hold
        if advertised.isdigit() and not response.headers.get("Content-Encoding") and size < int(advertised):
            raise _Truncated(f"truncated body ({size} of {advertised} bytes)")

    def request(self, path_or_url: str, *, kind: str = "page", params: dict | None = None,
                retries: int | None = None) -> requests.Response:
        """GET with throttle and retries; a 2xx response, or a typed NetworkError."""
        url = requests.Request("GET", encode_url(self.url(path_or_url)), params=params).prepare().url
        retries = self.config.retries if retries is None else retries
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                response = self._send(url, kind)
            except requests.RequestException as exc:
                cut = not isinstance(exc, (requests.ConnectionError, requests.Timeout)) or isinstance(
                    exc, (_Truncated, requests.ReadTimeout, requests.exceptions.ChunkedEncodingError))
                if last and cut:  # the host answered: this item is broken, not the site
                    raise ItemError(f"{shorten_middle(url)} kept failing mid-answer ({_reason(exc)})",
                                    hint="rerun later") from exc
                if last:
                    raise UnreachableError(f"cannot reach {url}: {_reason(exc)}", hint=OFFLINE_HINT) from exc
                delay = self._backoff(attempt)
                log.debug("retrying %s in %.2fs after %s", url, delay, _reason(exc))
            else:
                if response.status_code < 400:
                    return response
                self._raise_permanent(response, url, last)
                delay = self._retry_after(response, attempt)
                log.debug("retrying %s in %.2fs after HTTP %s", url, delay, response.status_code)
            with self.stats.lock:
                self.stats.retries += 1
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _raise_permanent(self, response: requests.Response, url: str, last: bool) -> None:
        status = response.status_code
        if status >= 500 and QUOTA_MARK.lower() in response.text[:2000].lower():
            raise QuotaError(f"WikiArt's request quota is spent ({url} answered {status})",
                             hint="wait an hour and rerun the same command; it resumes where it stopped")
        if status >= 500 and response.url in self.redirected and _is_html(response):
            raise NotJsonError(f"{url} redirected to an error page (HTTP {status})", hint="this item has no data on WikiArt")
        if last and status == 429:
            raise RateLimitedError(f"WikiArt kept answering HTTP 429 (too many requests) to {shorten_middle(url)}",
                                   status, url, hint="wait a while and rerun; lower --page-rate/--image-rate")
        if last and status == 403 and _is_html(response):
            raise BlockedError(f"WikiArt answered a challenge page (HTTP 403) to {shorten_middle(url)} on every try",
                               status, url, hint="automated requests are blocked for now; rerun later")
        if status not in RETRY_STATUSES or last:
            raise HTTPStatusError(f"{url} answered HTTP {status}", status, url,
                                  hint="the server refused the request; rerun later, it resumes where it stopped")

    def get_json(self, path: str, params: dict | None = None, retries: int | None = None):
        """Parsed JSON, or NotJsonError for an HTML body (a challenge page, an error page)."""
        response = self.request(path, params=params, retries=retries)
        try:
            if _is_html(response):
                raise ValueError("HTML body")
            return response.json()
        except ValueError:
            raise NotJsonError(
                f"{response.url} answered HTML instead of JSON (a challenge or error page)",
                hint="WikiArt may be blocking automated requests for now; rerun later",
            ) from None

    def get_text(self, path: str, params: dict | None = None) -> str:
        return self.request(path, params=params).text

    def get_image(self, url: str) -> bytes:
        return self.request(url, kind="image").content


def _is_html(response: requests.Response) -> bool:
    kind = response.headers.get("Content-Type", "").lower()
    return "html" in kind or response.content[:64].lstrip().lower().startswith((b"<!doctype", b"<html"))


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size % (1024 * 1024) else f"{size // (1024 * 1024)} MB"


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return clip(text.split(": ", 1)[-1] if len(text) > 200 else text, 200)
