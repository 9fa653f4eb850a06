"""fetch(): only http(s), only public addresses unless allowed, bounded in size and redirects; what a body is."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from web_server import PNG, WebServer, article_page, rss_feed, serve_web

from qa.index.fetch import (
    Fetched,
    FetchError,
    FetchParams,
    address_problem,
    body_kind,
    fetch,
    is_url,
    resolve_checked,
)

LOCAL = FetchParams(allow_private=True, max_bytes=20_000, timeout_s=5)
PAGE = article_page("Budget approved\n\n" + "The council approved the budget. " * 20, site="Springfield Times")


@pytest.fixture
def web() -> Iterator[WebServer]:
    with serve_web() as server:
        yield server


def fake_dns(table: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in table[host]]

    return resolve


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "::1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "fe80::1",
    "fc00::1", "0.0.0.0", "224.0.0.1", "100.64.0.1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "198.18.0.1",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert address_problem(address) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(address) is None


def test_every_resolved_address_is_checked() -> None:
    dns = fake_dns({"news.example": ["93.184.216.34", "2606:4700::1111"], "mixed.example": ["93.184.216.34",
                    "10.0.0.7"], "metadata.example": ["169.254.169.254"]})
    assert resolve_checked("news.example", 443, allow_private=False, resolve=dns) == ["93.184.216.34", "2606:4700::1111"]
    with pytest.raises(FetchError, match="mixed.example resolves to private address 10.0.0.7"):
        resolve_checked("mixed.example", 443, allow_private=False, resolve=dns)
    with pytest.raises(FetchError, match="link-local"):
        resolve_checked("metadata.example", 80, allow_private=False, resolve=dns)
    assert resolve_checked("metadata.example", 80, allow_private=True, resolve=dns) == ["169.254.169.254"]
    assert resolve_checked("mixed.example", 80, allow_private=False, allowed_networks=("10.0.0.0/24",),
                           resolve=dns) == ["93.184.216.34", "10.0.0.7"]
    with pytest.raises(FetchError, match="cannot resolve nowhere.example") as caught:
        resolve_checked("nowhere.example", 80, allow_private=False, resolve=dns)
    assert caught.value.transient


def test_only_scheme_urls_are_urls() -> None:
    assert is_url("https://example.com/a") and is_url("ftp://example.com/") and is_url("FILE:///etc/passwd")
    assert not is_url("articles/story.html") and not is_url("C:\\news\\a.html") and not is_url("file.txt")


@pytest.mark.parametrize("url", ["ftp://example.com/feed.xml", "file:///etc/passwd", "gopher://example.com/"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        fetch(url, LOCAL)


def test_a_page_is_fetched_with_its_type_and_final_url(web: WebServer) -> None:
    web.add("/story", PAGE, "text/html; charset=ISO-8859-1")
    start = web.redirect("/old-story", "/story", 301)
    got = fetch(start, LOCAL)
    assert (got.url, got.final_url) == (start, web.url("/story"))
    assert (got.content_type, got.charset) == ("text/html", "ISO-8859-1")
    assert got.body == PAGE.encode() and body_kind(got) == "html"


def test_loopback_is_refused_without_the_flag_and_nothing_is_sent(web: WebServer) -> None:
    url = web.add("/story", PAGE)
    with pytest.raises(FetchError, match=r"refused: 127\.0\.0\.1 is a loopback address .*QA_FETCH_ALLOW_PRIVATE"):
        fetch(url, FetchParams())
    assert web.hits["/story"] == 0


def test_a_redirect_to_a_private_address_is_refused(web: WebServer) -> None:
    # 127.0.0.1 is allowed here, 127.0.0.2 (loopback too, not allowed) is where the redirect points.
    params = FetchParams(allowed_networks=("127.0.0.1/32",), timeout_s=5)
    web.add("/story", PAGE)
    assert fetch(web.url("/story"), params).body == PAGE.encode()
    start = web.redirect("/jump", f"http://127.0.0.2:{web.port}/story")
    with pytest.raises(FetchError, match=r"refused: 127\.0\.0\.2 is a loopback address"):
        fetch(start, params)
    ftp = web.redirect("/to-ftp", "ftp://127.0.0.1/story")
    with pytest.raises(FetchError, match="only http and https"):
        fetch(ftp, LOCAL)


def test_redirects_are_limited(web: WebServer) -> None:
    web.redirect("/loop", "/loop")
    for i in range(3):
        web.redirect(f"/hop{i}", f"/hop{i + 1}")
    web.add("/hop3", PAGE)
    assert fetch(web.url("/hop0"), FetchParams(allow_private=True, max_redirects=3)).final_url == web.url("/hop3")
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(web.url("/hop0"), FetchParams(allow_private=True, max_redirects=2))
    with pytest.raises(FetchError, match=r"too many redirects \(more than 5\)"):
        fetch(web.url("/loop"), LOCAL)
    assert web.hits["/loop"] == 6


def test_bodies_over_the_cap_are_dropped_declared_or_not(web: WebServer) -> None:
    web.add("/declared", "x" * 50_000)
    web.add("/streamed", "x" * 500_000, declare_length=False)
    for path in ("/declared", "/streamed"):
        with pytest.raises(FetchError, match="larger than 20,000 bytes"):
            fetch(web.url(path), LOCAL)


def test_http_errors_and_dead_hosts_say_what_happened(web: WebServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404") as gone:
        fetch(web.url("/gone"), LOCAL)
    assert not gone.value.transient
    web.add("/busy", "try later", status=503)
    with pytest.raises(FetchError, match="HTTP 503") as busy:
        fetch(web.url("/busy"), LOCAL)
    assert busy.value.transient
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    with pytest.raises(FetchError, match="Connection refused") as refused:
        fetch(f"http://127.0.0.1:{dead}/story", LOCAL)
    assert refused.value.transient


def test_a_user_agent_naming_qa_is_sent(web: WebServer) -> None:
    seen: list[str] = []
    web.add("/story", PAGE)
    import httpx

    from qa.index.fetch import make_client

    with make_client(LOCAL) as client:
        client.event_hooks["request"] = [lambda request: seen.append(request.headers["user-agent"])]
        fetch(web.url("/story"), LOCAL, client)
    assert seen and seen[0].startswith("qa/")
    assert isinstance(client, httpx.Client)


def fetched(body: bytes | str, content_type: str) -> Fetched:
    data = body.encode() if isinstance(body, str) else body
    return Fetched("http://x/", "http://x/", content_type, None, data, dt.datetime.now(dt.UTC))


def test_body_kind_reads_the_type_and_the_first_bytes() -> None:
    rss = rss_feed("Daily Planet", "http://x/", [])
    assert body_kind(fetched(rss, "application/rss+xml")) == "feed"
    assert body_kind(fetched(rss, "text/html")) == "feed"  # feeds are often mislabelled
    assert body_kind(fetched('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">', "text/xml")) == "feed"
    assert body_kind(fetched(PAGE, "text/html")) == "html"
    assert body_kind(fetched(PAGE, "text/plain")) == "html"
    assert body_kind(fetched(PAGE, "")) == "html"
    assert body_kind(fetched(PNG, "image/png")) is None
    assert body_kind(fetched(b"%PDF-1.7 <html>", "application/pdf")) is None
    assert body_kind(fetched(PNG, "text/html")) is None  # binary, whatever it claims
    assert body_kind(fetched("<note><to>Tove</to></note>", "application/xml")) is None
    assert body_kind(fetched("just words", "text/plain")) is None
