"""Gopher over real sockets, with curl and lynx as real clients."""
import os
import re
import socket
import subprocess
import time

import pytest

from conftest import DOTSECRET, ROOT, SECRET, root_items


def menu_line(t, display, selector, port, host="localhost"):
    return f"{t}{display}\t{selector}\t{host}\t{port}\r\n".encode()


def info(text, port):
    return menu_line("i", text, "", port)


def error_menu(msg, port):
    return menu_line("3", msg, "", port) + b".\r\n"


def test_root_menu_exact(srv):
    p = srv.gopher_port
    want = (info("# Test capsule", p) + info("", p) + info("Hello.", p)
            + menu_line("1", "A page", "/page.gmi", p) + root_items(p)
            + b".\r\n")
    assert srv.gopher_raw(b"\r\n") == want
    assert srv.gopher_raw(b"/\r\n") == want
    assert srv.gopher_raw(b"\n") == want           # bare LF (bombadillo)
    assert srv.gopher_raw(b"/\n") == want


def test_page_as_menu(srv):
    p = srv.gopher_port
    assert srv.gopher_raw(b"/page.gmi\r\n") == (
        info("# A page", p) + info("", p) + info("Some text.", p) + b".\r\n")
    assert srv.gopher_raw(b"page.gmi\r\n") == srv.gopher_raw(b"/page.gmi\r\n")


def test_directory_with_index(srv):
    p = srv.gopher_port
    assert srv.gopher_raw(b"/withindex/\r\n") == info("# With index", p) + b".\r\n"
    # No redirects in Gopher: the slashless form is the same menu.
    assert srv.gopher_raw(b"/withindex\r\n") == info("# With index", p) + b".\r\n"
    assert srv.gopher_raw(b"/my dir/\r\n") == info("# Spaced", p) + b".\r\n"


def test_directory_without_index(srv):
    p = srv.gopher_port
    want = (info("Index of /sub/", p) + info("", p)
            + menu_line("1", "Parent directory", "/", p)
            + menu_line("1", "dir2/", "/sub/dir2/", p)
            + menu_line("1", "z dir/", "/sub/z dir/", p)
            + menu_line("1", "a.gmi", "/sub/a.gmi", p)
            + menu_line("0", "b.txt", "/sub/b.txt", p)
            + menu_line("1", "caf\u00e9 & co.gmi", "/sub/caf\u00e9 & co.gmi", p)
            + menu_line("0", "link-in.txt", "/sub/link-in.txt", p)
            + b".\r\n")
    assert srv.gopher_raw(b"/sub/\r\n") == want
    assert srv.gopher_raw("/sub/z dir/\r\n".encode()) == (
        info("Index of /sub/z dir/", p) + info("", p)
        + menu_line("1", "Parent directory", "/sub/", p)
        + info("(empty)", p) + b".\r\n")


def test_root_listing_types(server, tmp_path):
    cap = tmp_path / "flat"
    cap.mkdir()
    for name in ["a.txt", "b.gif", "c.png", "d.jpg", "e.zip", "f.html",
                 "g.gmi", "h.bin"]:
        (cap / name).write_bytes(b"x")
    (cap / "d").mkdir()
    s = server(capsule=cap)
    p = s.gopher_port
    assert s.gopher_raw(b"\r\n") == (
        info("Index of /", p) + info("", p)
        + menu_line("1", "d/", "/d/", p)
        + menu_line("0", "a.txt", "/a.txt", p)
        + menu_line("g", "b.gif", "/b.gif", p)
        + menu_line("I", "c.png", "/c.png", p)
        + menu_line("I", "d.jpg", "/d.jpg", p)
        + menu_line("9", "e.zip", "/e.zip", p)
        + menu_line("h", "f.html", "/f.html", p)
        + menu_line("1", "g.gmi", "/g.gmi", p)
        + menu_line("9", "h.bin", "/h.bin", p)
        + root_items(p) + b".\r\n")


def test_text_and_binary_files_byte_exact(srv):
    text = b"first\r\n.\r\nline with a dot above\n..\nno final newline"
    (srv.capsule / "dots.txt").write_bytes(text)
    assert srv.gopher_raw(b"/dots.txt\r\n") == text
    binary = bytes(range(256)) * 4096
    (srv.capsule / "blob.bin").write_bytes(binary)
    assert srv.gopher_raw(b"/blob.bin\r\n") == binary
    assert srv.gopher_raw(b"/empty.txt\r\n") == b""
    assert srv.gopher_raw(b"/file.png\r\n") == b"xpng"


def test_large_file_via_sendfile(srv):
    data = os.urandom(1 << 20) * 20
    (srv.capsule / "big.bin").write_bytes(data)
    before = srv.rss_kb("VmRSS")
    assert srv.gopher_raw(b"/big.bin\r\n", timeout=60) == data
    srv.assert_memory_flat(before, srv.rss_kb("VmRSS"))


@pytest.mark.parametrize("selector", [
    b"/nope", b"/nope.gmi", b"/.secret", b"/.git/config", b"/sub/.hidden",
    b"/sub/link-out.txt", b"/sub/link-out-rel.txt", b"/outlink/secret.txt",
    b"/abslink.txt", b"/../outside/secret.txt", b"../outside/secret.txt",
    b"/sub/../../outside/secret.txt", b"/outlink/", b"/sub/fifo",
    b"/page.gmi/", b"/.git/", b"/dot-target.txt", b"/sub/dot-link.txt",
    b"/drafts/config", b"/drafts/", b"/drafts",
])
def test_errors_are_type3_menus(srv, selector):
    data = srv.gopher_raw(selector + b"\r\n", timeout=5)
    assert data == error_menu("Not found", srv.gopher_port)
    assert SECRET not in data and DOTSECRET not in data


def test_percent_is_not_decoded_in_selectors(srv):
    # Selectors are raw bytes: %2e%2e is a name, not "..".
    assert srv.gopher_raw(b"/%2e%2e/outside/secret.txt\r\n") == \
        error_menu("Not found", srv.gopher_port)
    assert srv.gopher_raw(b"/my%20dir/\r\n") == \
        error_menu("Not found", srv.gopher_port)


def test_request_too_long(srv):
    p = srv.gopher_port
    assert srv.gopher_raw(b"/" + b"a" * 1023 + b"\r\n") == error_menu("Not found", p)
    assert srv.gopher_raw(b"/" + b"a" * 1024 + b"\r\n") == \
        error_menu("Request too long", p)
    assert srv.gopher_raw(b"/" + b"a" * 5000) == error_menu("Request too long", p)


def test_nul_in_selector(srv):
    assert srv.gopher_raw(b"/page.gmi\x00x\r\n") == \
        error_menu("Bad request", srv.gopher_port)


def test_search_and_gopher_plus_suffixes(srv):
    root = srv.gopher_raw(b"\r\n")
    # A search string is cut off; Gopher+ "+" is not a search either.
    assert srv.gopher_raw(b"\tsome words\r\n") == root
    assert srv.gopher_raw(b"\t+\r\n") == root
    assert srv.gopher_raw(b"/page.gmi\t+\r\n") == srv.gopher_raw(b"/page.gmi\r\n")


def test_umn_dollar_gets_minimal_gopher_plus_reply(srv):
    p = srv.gopher_port
    assert srv.gopher_raw(b"\t$\r\n") == (
        b"+-1\r\n+INFO: " + menu_line("1", "Main menu", "", p) + b".\r\n")


def test_caps_txt(srv):
    data = srv.gopher_raw(b"caps.txt\r\n").decode()
    assert data == srv.gopher_raw(b"/caps.txt\r\n").decode()
    lines = data.splitlines()
    assert lines[0] == "CAPS"
    for want in ["CapsVersion=1", "PathDelimeter=/", "PathIdentity=.",
                 "PathParent=..", "ServerDefaultEncoding=UTF-8",
                 "ServerSoftware=attache"]:
        assert want in lines, want
    assert any(re.fullmatch(r"ExpireCapsAfter=\d+", l) for l in lines)
    assert any(re.fullmatch(r"ServerSoftwareVersion=\d+\.\d+\.\d+", l)
               for l in lines)


def test_url_selector_redirect_page_is_escaped(srv):
    data = srv.gopher_raw(b'URL:https://example.org/a?b=1&c="<x>\'\r\n').decode()
    esc = "https://example.org/a?b=1&amp;c=&quot;&lt;x&gt;&#39;"
    assert f'content="0;url={esc}"' in data or f"content=\"0; url={esc}\"" in data
    assert f'href="{esc}"' in data
    assert "<x>" not in data and '"<' not in data
    assert data.lstrip().lower().startswith("<!doctype html>")
    ok = srv.gopher_raw(b"URL:gemini://example.org/\r\n").decode()
    assert "gemini://example.org/" in ok


@pytest.mark.parametrize("url", [
    b"javascript:alert(1)", b"JAVASCRIPT:alert(1)", b"data:text/html,<script>",
    b"file:///etc/passwd", b"vbscript:x", b"https:", b"https://a b/",
    b"https://example.org/\x01",
])
def test_url_selector_refused_schemes(srv, url):
    assert srv.gopher_raw(b"URL:" + url + b"\r\n") == \
        error_menu("URL not allowed", srv.gopher_port)


def test_empty_url_selector_is_not_found(srv):
    assert srv.gopher_raw(b"URL:\r\n") == error_menu("Not found", srv.gopher_port)


def test_stalled_gopher_client(srv):
    stalled = socket.create_connection(("127.0.0.1", srv.gopher_port))
    stalled.sendall(b"/page")
    t0 = time.monotonic()
    for _ in range(5):
        assert srv.gopher_raw(b"/hello.txt\r\n") == b"hello, world\n"
    assert time.monotonic() - t0 < 5
    stalled.settimeout(30)
    assert stalled.recv(100) == b""
    assert 8 <= time.monotonic() - t0 <= 20
    stalled.close()
    assert "gopher: no complete request within 10 s" in srv.wait_log("within 10 s")


def test_public_port_and_width(server):
    s = server(extra_args=["--gopher-public-port", "70", "--gopher-width", "20"])
    (s.capsule / "w.gmi").write_text("one two three four five six seven\n"
                                     "=> page.gmi P\n")
    assert s.gopher_raw(b"/w.gmi\r\n") == (
        info("one two three four", 70) + info("five six seven", 70)
        + menu_line("1", "P", "/page.gmi", 70) + b".\r\n")


def test_access_log_names_gopher(srv):
    srv.gopher_raw(b"/hello.txt\r\n")
    srv.gopher_raw(b"/nope\r\n")
    log = srv.wait_log("(no such file)")
    assert re.search(r' 127\.0\.0\.1 gopher localhost "/hello\.txt" 0 13 \d+ms$',
                     log, re.M), log
    assert re.search(r' 127\.0\.0\.1 gopher localhost "/nope" 3 \d+ \d+ms '
                     r'\(no such file\)$', log, re.M), log


def parse_menu(data):
    assert data.endswith(b".\r\n"), data[-50:]
    items = []
    for line in data[:-3].split(b"\r\n")[:-1]:
        assert line.count(b"\t") == 3, line
        t, rest = line[:1], line[1:]
        display, selector, host, port = rest.split(b"\t")
        assert port.isdigit(), line
        items.append((t.decode(), display.decode(), selector, host.decode(),
                      int(port)))
    return items


def test_crawl_finds_no_broken_item(server):
    s = server(capsule=ROOT / "capsule")
    # The root menu links to the change list: crawl once it is there.
    assert ": indexed " in s.wait_log(": indexed ")
    seen, queue, fetched = set(), [("1", b"")], 0
    while queue:
        t, sel = queue.pop()
        if (t, sel) in seen:
            continue
        seen.add((t, sel))
        data = s.gopher_raw(sel + b"\r\n")
        fetched += 1
        if t == "1":
            for it, _, isel, host, port in parse_menu(data):
                assert it != "3", (sel, data)
                if it not in "i3" and host == "localhost" and port == s.gopher_port:
                    queue.append((it, isel))
        else:
            assert not data.startswith(b"3"), (sel, data)
    assert fetched >= 7


def test_curl_root_menu_byte_for_byte(server):
    s = server(capsule=ROOT / "capsule")
    want = s.gopher_raw(b"\r\n")
    got = subprocess.run(["curl", "-s", "--max-time", "10",
                          f"gopher://127.0.0.1:{s.gopher_port}/1/"],
                         capture_output=True, check=True).stdout
    assert got == want
    got = subprocess.run(["curl", "-s", "--max-time", "10",
                          f"gopher://127.0.0.1:{s.gopher_port}/0/caps.txt"],
                         capture_output=True, check=True).stdout
    assert got.startswith(b"CAPS\n")


def lynx_dump(url):
    env = dict(os.environ, HOME="/tmp", TERM="dumb", LANG="C.UTF-8",
               LC_ALL="C.UTF-8")
    return subprocess.run(["lynx", "-dump", "-nolist", "-width=100",
                           "-display_charset=UTF-8", url],
                          capture_output=True, timeout=20, env=env,
                          check=True).stdout.decode()


def lynx_refs(url):
    env = dict(os.environ, HOME="/tmp", TERM="dumb", LANG="C.UTF-8",
               LC_ALL="C.UTF-8")
    return subprocess.run(["lynx", "-dump", "-listonly", url],
                          capture_output=True, timeout=20, env=env,
                          check=True).stdout.decode()


def test_lynx_reads_root_and_page(server):
    s = server(capsule=ROOT / "capsule")
    root = lynx_dump(f"gopher://127.0.0.1:{s.gopher_port}/1/")
    assert "# Office of Homeland Security attach\u00e9" in root
    assert "Telephone: 1 613-562-3788" in root
    assert "Last modified on 14/03/2016" in root
    refs = lynx_refs(f"gopher://127.0.0.1:{s.gopher_port}/1/")
    assert f"gopher://localhost:{s.gopher_port}/1/attache.gmi" in refs
    assert f"gopher://localhost:{s.gopher_port}/1/organisation.gmi" in refs
    page = lynx_dump(f"gopher://127.0.0.1:{s.gopher_port}/1/ottawa.gmi")
    assert "# The Office of Homeland Security (OHS) in Ottawa" in page
    assert "Located within the Embassy of France, this office was established" in page
    assert "the year 2000." in page
    assert "(DIR) Home" in page


def gemtext_text_lines(src):
    """Headings and text of a gemtext page, as readers see them."""
    out, pre = [], False
    for line in src.splitlines():
        if line.startswith("```"):
            pre = not pre
            continue
        if pre or line.startswith("=>") or not line.strip():
            continue
        out.append(line)
    return out


def test_every_gemini_page_is_a_gopher_menu(server):
    s = server(capsule=ROOT / "capsule")
    pages = sorted((ROOT / "capsule").rglob("*.gmi"))
    assert len(pages) >= 6
    for page in pages:
        rel = "/" + page.relative_to(ROOT / "capsule").as_posix()
        header, body, _ = s.gemini(f"gemini://localhost{rel}")
        assert header == "20 text/gemini"
        assert body == page.read_bytes()
        menu = parse_menu(s.gopher_raw(rel.encode() + b"\r\n"))
        shown = " ".join(d for t, d, *_ in menu if t == "i")
        shown = re.sub(r"\s+", " ", shown)
        for line in gemtext_text_lines(page.read_text()):
            words = re.sub(r"\s+", " ", line).strip()
            assert words in shown, (rel, words)
        heading = page.read_text().splitlines()[0]
        assert menu[0][:2] == ("i", heading), rel


def test_gopher_off_leaves_gemini(server):
    s = server(gopher=False)
    h, _, _ = s.gemini("gemini://localhost/")
    assert h == "20 text/gemini"
    assert "gopher://" not in s.wait_log("workers")


def test_client_that_keeps_sending_after_the_response_is_cut_off(srv):
    # After the response the server lingers up to 2 s, dropping what the
    # client still sends; past 64 KB it closes at once, and the kernel
    # answers further bytes with a reset.
    with socket.create_connection(("127.0.0.1", srv.gopher_port),
                                  timeout=10) as s:
        s.sendall(b"/hello.txt\r\n")
        got = b""
        while chunk := s.recv(4096):
            got += chunk
        assert got == b"hello, world\n"
        t0 = time.monotonic()
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            for _ in range(1024):               # 16 MB at most
                s.sendall(b"x" * 16384)
        assert time.monotonic() - t0 < 1.9, "drained until the linger ended"
