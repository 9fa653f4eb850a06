"""Fetch a web page or feed safely: http(s) only, public addresses only, bounded in time, size and redirects.

Every address a connection goes to is checked when the socket is opened (so DNS cannot change it after the check);
anything refused or broken raises FetchError with a one-line reason.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from qa.errors import IngestError

USER_AGENT = "qa/0.1 (news question answering; fetches pages a user asked for)"
_SCHEMES = ("http", "https")
_REDIRECTS = (301, 302, 303, 307, 308)
_TRANSIENT = (408, 425, 429, 500, 502, 503, 504)

Resolver = Callable[..., list[tuple[Any, ...]]]


class FetchError(IngestError):
    """A URL that could not be fetched; transient when trying again later may work (network, HTTP 5xx, 429)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class FetchParams:
    """How politely and how far a fetch may go; qa.index.web.fetch_params reads the user's QA_* values."""

    timeout_s: float = 20.0  # per connect/read, and for the whole body: a slow drip is cut off too
    max_bytes: int = 10_000_000  # QA_MAX_FILE_MB: the body is streamed and dropped once past it
    max_redirects: int = 5  # browsers allow 20; a news page needs one or two (http->https, a trailing slash)
    allow_private: bool = False  # QA_FETCH_ALLOW_PRIVATE: loopback and LAN addresses, for tests and intranets
    allowed_networks: tuple[str, ...] = ()  # non-public networks allowed even so, e.g. ("10.1.2.0/24",)
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Fetched:
    """A fetched body: the URL asked for, the one that answered after redirects, its media type and charset."""

    url: str
    final_url: str
    content_type: str  # lower case, without parameters; "" when the server sent none
    charset: str | None
    body: bytes
    fetched_at: dt.datetime


def is_url(text: str) -> bool:
    """True for anything written as scheme://..., so a mistyped ftp:// or file:// is refused rather than read
    as a local path."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", text) is not None


def check_scheme(url: str) -> None:
    scheme = url.split(":", 1)[0].lower()
    if scheme not in _SCHEMES:
        raise FetchError(f"only http and https URLs are fetched, not {scheme}:")


def address_problem(address: str) -> str | None:
    """What kind of address may not be fetched from without QA_FETCH_ALLOW_PRIVATE (loopback, private, link-local,
    multicast, reserved, ...), or None for a public one. IPv4 inside IPv6 (::ffff:127.0.0.1) is judged as IPv4."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "unspecified", "multicast", "reserved", "private"):  # most specific first
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "non-public"
    return None


def resolve_checked(
    host: str, port: int, *, allow_private: bool, allowed_networks: tuple[str, ...] = (),
    resolve: Resolver = socket.getaddrinfo,
) -> list[str]:
    """The addresses host resolves to, every one of them checked; FetchError when it resolves to none, or when any
    is not public (a name with one private address among public ones is refused: the connection could go there)
    and not in allowed_networks."""
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {getattr(exc, 'strerror', None) or exc}", transient=True) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError(f"{host} resolves to no address", transient=True)
    if not allow_private:
        networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
        for address in addresses:
            problem = address_problem(address)
            if problem is not None and not any(ipaddress.ip_address(address) in n for n in networks):
                what = f"is a {problem} address" if host == address else f"resolves to {problem} address {address}"
                raise FetchError(f"refused: {host} {what} (set QA_FETCH_ALLOW_PRIVATE=true to allow it)")
    return addresses


class _CheckedBackend(httpcore.SyncBackend):
    """Opens sockets only to checked addresses: the check and the connection use the same resolution."""

    def __init__(self, params: FetchParams, resolve: Resolver) -> None:
        self.params = params
        self.resolve = resolve

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve_checked(host, port, allow_private=self.params.allow_private,
                                    allowed_networks=self.params.allowed_networks, resolve=self.resolve)
        error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error or FetchError(f"cannot connect to {host}", transient=True)


def make_client(params: FetchParams, resolve: Resolver = socket.getaddrinfo) -> httpx.Client:
    """An httpx client for fetch(): no proxies or .netrc from the environment (a proxy would hide where a request
    goes), redirects followed by fetch() itself so each target is checked, every socket address-checked."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx has no public hook for the network backend; the pool is rebuilt with the checking one.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=_CheckedBackend(params, resolve),
    )
    return httpx.Client(
        transport=transport, trust_env=False, follow_redirects=False, timeout=httpx.Timeout(params.timeout_s),
        headers={"User-Agent": params.user_agent, "Accept": "text/html, application/xhtml+xml, application/rss+xml, "
                 "application/atom+xml, application/xml;q=0.9, */*;q=0.5"},
    )


def fetch(url: str, params: FetchParams, client: httpx.Client | None = None) -> Fetched:
    """GET url within params' limits, following at most params.max_redirects redirects (each target checked).

    Raises FetchError for a refused scheme or address, a dead host, a timeout, an HTTP error status, too many
    redirects or a body over params.max_bytes.
    """
    own = client is None
    client = client or make_client(params)
    deadline = time.monotonic() + params.timeout_s
    try:
        current = url
        for _ in range(params.max_redirects + 1):
            check_scheme(current)
            try:
                with client.stream("GET", current) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        current = str(response.url.join(response.headers["location"]))
                        continue
                    return _read(url, response, params, deadline)
            except httpx.InvalidURL as exc:
                raise FetchError(f"not a valid URL: {exc}") from None
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {params.timeout_s:g} s", transient=True) from None
            except httpx.HTTPError as exc:
                raise FetchError(f"cannot fetch: {_reason(exc)}", transient=True) from None
        raise FetchError(f"too many redirects (more than {params.max_redirects})")
    finally:
        if own:
            client.close()


def _read(url: str, response: httpx.Response, params: FetchParams, deadline: float) -> Fetched:
    if response.status_code >= 400:
        phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
        raise FetchError(f"HTTP {response.status_code}{phrase}", transient=response.status_code in _TRANSIENT)
    too_large = f"larger than {params.max_bytes:,} bytes (raise QA_MAX_FILE_MB to fetch it)"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > params.max_bytes:
        raise FetchError(too_large)
    body = bytearray()
    for piece in response.iter_bytes():  # decoded: a gzip bomb stops at the cap too
        body += piece
        if len(body) > params.max_bytes:
            raise FetchError(too_large)
        if time.monotonic() > deadline:
            raise FetchError(f"took longer than {params.timeout_s:g} s", transient=True)
    media, _, rest = response.headers.get("content-type", "").partition(";")
    charset = re.search(r"charset\s*=\s*\"?([\w.:\-]+)", rest, re.IGNORECASE)
    return Fetched(
        url=url, final_url=str(response.url), content_type=media.strip().lower(),
        charset=charset.group(1) if charset else None, body=bytes(body), fetched_at=dt.datetime.now(dt.UTC),
    )


def _reason(exc: Exception) -> str:
    """The innermost message of a connection error: 'Connection refused', not httpx's wrapper text."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf)[\s>]", re.IGNORECASE)
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
                         "text/xml"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SNIFFED_TYPES = frozenset({"", "text/plain", "application/octet-stream"})  # servers that do not know what they send


def body_kind(fetched: Fetched) -> str | None:
    """'feed', 'html', or None for anything else (an image, a PDF): decided by the media type and the body's first
    kilobytes together, since feeds are often served as text/html or text/xml and pages as text/plain."""
    head = fetched.body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if fetched.content_type not in _FEED_TYPES | _HTML_TYPES | _SNIFFED_TYPES:
        return None
    if b"\x00" in head:
        return None
    feed, page = _FEED_ROOT.search(head), _HTML_ROOT.search(head)
    if feed and (not page or feed.start() < page.start()):
        return "feed"
    if page or fetched.content_type in _HTML_TYPES:
        return "html"
    return None
