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
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from artstyle import __version__
from artstyle.errors import NetworkError

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


class UnreachableError(NetworkError):
    """No answer at all: connection refused, DNS failure, timeouts, every retry."""


class NotJsonError(NetworkError):
    """HTML (a challenge or error page) where JSON was expected; permanent, not retried."""


class QuotaError(NetworkError):
    """WikiArt's API quota is spent; retrying now only makes it worse."""


@dataclass(frozen=True)
class ClientConfig:
    """Politeness and patience. Rates are (requests, per seconds)."""

    page_rate: tuple[int, float] = (10, 2.5)
    image_rate: tuple[int, float] = (20, 1.0)
    timeout: float = 30.0
    retries: int = 5
    backoff: float = 1.0  # first retry waits about this long, doubling up to backoff_max
    backoff_max: float = 32.0
    max_retry_after: float = 120.0
    user_agent: str = USER_AGENT

    def lower_bound(self, pages: int, images: int) -> float:
        """Seconds the throttle alone needs for this many requests (each kind in sequence)."""
        bound = 0.0
        for count, (cap, period) in ((pages, self.page_rate), (images, self.image_rate)):
            bound += ((count - 1) // cap) * period if count > 0 else 0.0
        return bound


class RateLimiter:
    """At most ``count`` acquisitions in any ``period`` seconds (a sliding window), thread-safe."""

    def __init__(self, count: int, period: float) -> None:
        self.count, self.period = max(1, int(count)), float(period)
        self._times: deque[float] = deque(maxlen=self.count)
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may go; return the seconds waited."""
        with self._lock:  # holding the lock while sleeping keeps callers in order
            waited = 0.0
            if len(self._times) == self.count:
                delay = self._times[0] + self.period - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                    waited = delay
            self._times.append(time.monotonic())
            return waited


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
        self.limiters = {"page": RateLimiter(*self.config.page_rate), "image": RateLimiter(*self.config.image_rate)}
        self.stats = Stats()

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
        waited = self.limiters[kind].acquire()
        self.stats.count(kind, waited)
        response = self.session.get(url, timeout=self.config.timeout)
        expected = response.headers.get("Content-Length")
        if expected and expected.isdigit() and not response.headers.get("Content-Encoding"):
            if len(response.content) < int(expected):
                raise _Truncated(f"truncated body ({len(response.content)} of {expected} bytes)")
        return response

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
                if last and isinstance(exc, _Truncated):
                    raise NetworkError(f"{url} kept sending a truncated body ({exc})", hint="rerun later") from exc
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
        if status >= 500 and response.history and _is_html(response):
            raise NotJsonError(f"{url} redirected to an error page (HTTP {status})", hint="this item has no data on WikiArt")
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


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return text.split(": ", 1)[-1][:200] if len(text) > 200 else text
