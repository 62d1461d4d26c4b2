"""Gemini over real TLS sockets: every status path with its exact bytes."""
import hashlib
import os
import socket
import ssl
import threading
import time
import warnings

import pytest

from conftest import (DOTSECRET, SECRET, client_context, gemini_raw,
                      read_all)

ROOT_PAGE = (b"20 text/gemini\r\n"
             b"# Test capsule\n\nHello.\n=> page.gmi A page\n")
PAGE = b"20 text/gemini\r\n# A page\n\nSome text.\n"
NOT_FOUND = b"51 Not found\r\n"


def test_root_page_exact(srv):
    data, notify = srv.gemini_raw(b"gemini://localhost/\r\n")
    assert data == ROOT_PAGE
    assert notify, "no close_notify after a 20"


def test_empty_path_is_root_without_redirect(srv):
    data, notify = srv.gemini_raw(b"gemini://localhost\r\n")
    assert data == ROOT_PAGE
    assert notify


def test_lang_en_by_default(server):
    s = server(lang=None)
    assert "--lang" not in s.args
    h, body, _ = s.gemini("gemini://localhost/page.gmi")
    assert (h, body) == ("20 text/gemini; lang=en", b"# A page\n\nSome text.\n")
    h, _, _ = s.gemini("gemini://localhost/sub/")
    assert h == "20 text/gemini; lang=en"
    h, _, _ = s.gemini("gemini://localhost/hello.txt")
    assert h == "20 text/plain; charset=utf-8"


def test_lang_added_to_gemtext_only(server):
    s = server(lang="fr-CA")
    h, body, _ = s.gemini("gemini://localhost/page.gmi")
    assert h == "20 text/gemini; lang=fr-CA"
    assert body == b"# A page\n\nSome text.\n"
    h, body, _ = s.gemini("gemini://localhost/hello.txt")
    assert h == "20 text/plain; charset=utf-8"
    assert body == b"hello, world\n"


@pytest.mark.parametrize("name,mime", [
    ("page.gmi", "text/gemini"),
    ("page.gemini", "text/gemini"),
    ("hello.txt", "text/plain; charset=utf-8"),
    ("file.md", "text/markdown; charset=utf-8"),
    ("file.html", "text/html; charset=utf-8"),
    ("file.css", "text/css; charset=utf-8"),
    ("file.xml", "text/xml; charset=utf-8"),
    ("file.json", "application/json"),
    ("file.png", "image/png"),
    ("file.jpg", "image/jpeg"),
    ("file.JPG", "image/jpeg"),
    ("file.gif", "image/gif"),
    ("file.svg", "image/svg+xml"),
    ("file.webp", "image/webp"),
    ("file.pdf", "application/pdf"),
    ("file.zip", "application/zip"),
    ("file.mp3", "audio/mpeg"),
    ("file.ogg", "audio/ogg"),
    ("file.bin", "application/octet-stream"),
    ("noext", "application/octet-stream"),
])
def test_mime_types(srv, name, mime):
    h, body, notify = srv.gemini(f"gemini://localhost/{name}")
    assert h == f"20 {mime}"
    assert body == (srv.capsule / name).read_bytes()
    assert notify


def test_empty_file(srv):
    data, notify = srv.gemini_raw(b"gemini://localhost/empty.txt\r\n")
    assert data == b"20 text/plain; charset=utf-8\r\n"
    assert notify


@pytest.mark.parametrize("request_line", [
    b"",                                        # empty
    b"/page.gmi",                               # relative
    b"page.gmi",                                # relative
    b"//localhost/page.gmi",                    # network-path reference
    b"gemini://user@localhost/",                # userinfo
    b"gemini://user:pw@localhost/",             # userinfo
    b"gemini://localhost/#frag",                # fragment
    b"gemini://localhost/page.gmi#",            # empty fragment
    b"\xef\xbb\xbfgemini://localhost/",         # BOM
    b"gemini://localhost/\xff",                 # invalid UTF-8
    b"gemini://localhost/\xc0\xaf",             # overlong UTF-8
    b"gemini://localhost/\xed\xa0\x80",         # surrogate
    b"gemini://localhost/a\x00b",               # NUL
    b"gemini://localhost/%00",                  # encoded NUL
    b"gemini://localhost/%zz",                  # bad escape
    b"gemini://localhost/%4",                   # truncated escape
    b"gemini://localhost/a b",                  # space
    b"gemini://localhost/\x01",                 # control
    b"gemini:///page.gmi",                      # empty host
    b"gemini:page.gmi",                         # no authority
    b"gemini://localhost:19x5/",                # bad port
    b"gemini://[::1/",                          # unclosed bracket
])
def test_bad_requests_get_59(srv, request_line):
    data, notify = srv.gemini_raw(request_line + b"\r\n")
    assert data == b"59 Bad request\r\n"
    assert notify, "no close_notify after a 59"


@pytest.mark.parametrize("request_line", [
    b"https://localhost/",
    b"HTTP://localhost/",
    b"gopher://localhost/",
    b"mailto:someone@example.org",
    b"gemini://example.org/",
    b"gemini://localhost.example/",
    b"gemini://10.1.2.3/",
    b"gemini://[::2]/",
    b"gemini://localhost:1/",
    b"gemini://localhost:70000/",
])
def test_not_ours_gets_53(srv, request_line):
    data, notify = srv.gemini_raw(request_line + b"\r\n")
    assert data == b"53 Proxy request refused\r\n"
    assert notify


def test_hosts_and_ports_that_are_ours(srv):
    p = srv.gemini_port
    for url in [f"gemini://localhost:{p}/page.gmi",
                "GEMINI://LOCALHOST/page.gmi",
                "gemini://LocalHost./page.gmi",
                f"gemini://localhost.:{p}/page.gmi",
                "gemini://localhost:/page.gmi",
                "gemini://127.0.0.1/page.gmi",
                f"gemini://127.0.0.1:{p}/page.gmi"]:
        h, body, _ = srv.gemini(url)
        assert (h, body) == ("20 text/gemini", b"# A page\n\nSome text.\n"), url


def test_ipv6_literal_host(server):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        with socket.socket(socket.AF_INET6) as t:
            t.bind(("::1", 0))
    except OSError:
        pytest.skip("no ::1")
    s = server(listen=("::1",))
    data, _ = gemini_raw(s.gemini_port, b"gemini://[::1]/page.gmi\r\n",
                         host="::1", sni=None)
    assert data == b"20 text/gemini\r\n# A page\n\nSome text.\n"
    data, _ = gemini_raw(s.gemini_port,
                         f"gemini://[::1]:{s.gemini_port}/\r\n".encode(),
                         host="::1", sni=None)
    assert data == ROOT_PAGE
    data, _ = gemini_raw(s.gemini_port, b"gemini://[::2]/\r\n", host="::1",
                         sni=None)
    assert data == b"53 Proxy request refused\r\n"


def test_uri_of_1024_bytes_is_served_and_1025_refused(srv):
    base = b"gemini://localhost/"
    ok = base + b"a" * (1024 - len(base))
    assert len(ok) == 1024
    data, notify = srv.gemini_raw(ok + b"\r\n")
    assert data == b"51 Not found\r\n" and notify
    data, notify = srv.gemini_raw(ok + b"a\r\n")
    assert data == b"59 Request too long\r\n" and notify


def test_overlong_request_without_crlf_gets_59(srv):
    data, notify = srv.gemini_raw(b"gemini://localhost/" + b"a" * 5000)
    assert data == b"59 Request too long\r\n"
    assert notify


def test_request_in_many_small_segments(srv):
    data, notify = srv.gemini_raw(b"gemini://localhost/page.gmi\r\n",
                                  chunks=1)
    assert data == b"20 text/gemini\r\n# A page\n\nSome text.\n"
    assert notify


def test_bytes_after_crlf_are_ignored(srv):
    data, notify = srv.gemini_raw(
        b"gemini://localhost/page.gmi\r\ngemini://localhost/hello.txt\r\n"
        + b"junk" * 100)
    assert data == b"20 text/gemini\r\n# A page\n\nSome text.\n"
    assert notify


def test_bare_lf_does_not_end_a_request(srv):
    # A Gemini request ends with CRLF: after a bare LF the line goes on, so
    # nothing is answered yet; the CRLF that follows ends a line that holds
    # an LF, a control character.
    ctx = client_context()
    with socket.create_connection(("127.0.0.1", srv.gemini_port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"gemini://localhost/page.gmi\n")
            s.settimeout(1.0)
            with pytest.raises(socket.timeout):
                s.recv(100)
            s.settimeout(15)
            s.sendall(b"\r\n")
            assert read_all(s) == b"59 Bad request\r\n"
    assert "(control character)" in srv.wait_log("(control character)")


def test_not_found_is_51(srv):
    data, notify = srv.gemini_raw(b"gemini://localhost/nope.gmi\r\n")
    assert data == b"51 Not found\r\n" and notify


def test_directory_without_slash_redirects(srv):
    data, notify = srv.gemini_raw(b"gemini://localhost/sub\r\n")
    assert data == b"31 /sub/\r\n" and notify
    data, _ = srv.gemini_raw(b"gemini://localhost/my%20dir\r\n")
    assert data == b"31 /my%20dir/\r\n"
    data, _ = srv.gemini_raw(b"gemini://localhost/withindex?x=1\r\n")
    assert data == b"31 /withindex/?x=1\r\n"


def test_directory_with_index(srv):
    data, _ = srv.gemini_raw(b"gemini://localhost/withindex/\r\n")
    assert data == b"20 text/gemini\r\n# With index\n"
    data, _ = srv.gemini_raw(b"gemini://localhost/my%20dir/\r\n")
    assert data == b"20 text/gemini\r\n# Spaced\n"


def test_directory_listing(srv):
    data, notify = srv.gemini_raw(b"gemini://localhost/sub/\r\n")
    assert notify
    assert data == (
        b"20 text/gemini\r\n"
        b"# Index of /sub/\n\n"
        b"=> ../ Parent directory\n"
        b"=> ./dir2/ dir2/\n"
        b"=> ./z%20dir/ z dir/\n"
        b"=> ./a.gmi a.gmi\n"
        b"=> ./b.txt b.txt\n"
        + "=> ./caf\u00e9%20&%20co.gmi caf\u00e9 & co.gmi\n".encode()
          .replace("caf\u00e9%20".encode(), b"caf%C3%A9%20")
        + b"=> ./link-in.txt link-in.txt\n")
    assert b"hidden" not in data and b"link-out" not in data
    assert b"dot-link" not in data
    assert b"fifo" not in data


def test_listing_links_resolve(srv):
    h, body, _ = srv.gemini("gemini://localhost/sub/caf%C3%A9%20&%20co.gmi")
    assert (h, body) == ("20 text/gemini", "# caf\u00e9\n".encode())
    h, body, _ = srv.gemini("gemini://localhost/sub/z%20dir/")
    assert h == "20 text/gemini"
    assert body == b"# Index of /sub/z dir/\n\n=> ../ Parent directory\n(empty)\n"


def test_symlink_inside_is_followed(srv):
    h, body, _ = srv.gemini("gemini://localhost/sub/link-in.txt")
    assert (h, body) == ("20 text/plain; charset=utf-8", b"b\n")


# Each path's one answer.  Dot segments are removed as RFC 3986 5.2.4 says,
# %2E being a dot (6.2.2.2) and a ".." above the root staying at the root:
# "/." "/.." and "/../.." are the root page.  An encoded slash (%2F) is part
# of a segment's name, never a separator.
@pytest.mark.parametrize("path,want", [
    ("/.secret", NOT_FOUND),
    ("/.git/config", NOT_FOUND),
    ("/sub/.hidden", NOT_FOUND),
    ("/%2esecret", NOT_FOUND),
    ("/.git/", NOT_FOUND),
    ("/sub/%2ehidden", NOT_FOUND),
    ("/.", ROOT_PAGE),
    ("/sub/./.hidden", NOT_FOUND),
    ("/dot-target.txt", NOT_FOUND),         # a symlink to .secret
    ("/sub/dot-link.txt", NOT_FOUND),       # a symlink to .hidden
    ("/drafts/config", NOT_FOUND),          # drafts is a symlink to .git
    ("/drafts/", NOT_FOUND),
    ("/drafts", NOT_FOUND),
])
def test_dotfiles_are_never_served(srv, path, want):
    data, notify = srv.gemini_raw(f"gemini://localhost{path}\r\n".encode())
    assert DOTSECRET not in data
    assert data == want
    assert notify


@pytest.mark.parametrize("path,want", [
    ("/sub/link-out.txt", NOT_FOUND),
    ("/sub/link-out-rel.txt", NOT_FOUND),
    ("/outlink/secret.txt", NOT_FOUND),
    ("/abslink.txt", NOT_FOUND),
    ("/../outside/secret.txt", NOT_FOUND),  # /outside/secret.txt: none
    ("/%2e%2e/outside/secret.txt", NOT_FOUND),
    ("/%2E%2E/%2e%2e/outside/secret.txt", NOT_FOUND),
    ("/sub/..%2F..%2Foutside/secret.txt", NOT_FOUND),
    ("/sub%2F..%2F..%2Foutside%2Fsecret.txt", NOT_FOUND),
    ("/a/../../../outside/secret.txt", NOT_FOUND),
    ("/..", ROOT_PAGE),
    ("/../..", ROOT_PAGE),
    ("/outlink/", NOT_FOUND),
    ("/outlink", NOT_FOUND),
])
def test_nothing_outside_the_capsule(srv, path, want):
    data, notify = srv.gemini_raw(f"gemini://localhost{path}\r\n".encode())
    assert SECRET not in data
    assert data == want
    assert notify


def test_fifo_does_not_block(srv):
    data, _ = srv.gemini_raw(b"gemini://localhost/sub/fifo\r\n", timeout=5)
    assert data == b"51 Not found\r\n"


def test_request_without_sni(srv):
    data, notify = srv.gemini_raw(b"gemini://127.0.0.1/page.gmi\r\n", sni=None)
    assert data == b"20 text/gemini\r\n# A page\n\nSome text.\n"
    assert notify


def test_sni_of_another_name_still_handshakes(srv):
    data, _ = srv.gemini_raw(b"gemini://localhost/page.gmi\r\n",
                             sni="other.example")
    assert data == PAGE


def test_tls13_is_preferred(srv):
    ctx = client_context()
    with socket.create_connection(("127.0.0.1", srv.gemini_port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            assert s.version() == "TLSv1.3"
            # Python (OpenSSL) lists AES-256-GCM first; the server's
            # order picks AES-128-GCM, as Go and NSS would.
            assert s.cipher()[0] == "TLS_AES_128_GCM_SHA256"
            s.sendall(b"gemini://localhost/\r\n")


def test_tls12_is_accepted(srv):
    ctx = client_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    data, notify = gemini_raw(srv.gemini_port, b"gemini://localhost/page.gmi\r\n",
                              ctx=ctx)
    assert data == b"20 text/gemini\r\n# A page\n\nSome text.\n"
    assert notify


def test_tls11_is_refused(srv):
    ctx = client_context()
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except ValueError:
        pytest.skip("this Python cannot speak TLS 1.1")
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        gemini_raw(srv.gemini_port, b"gemini://localhost/\r\n", ctx=ctx)
    assert "TLS handshake failed" in srv.wait_log("TLS handshake failed")
    # The server goes on.
    data, _ = srv.gemini_raw(b"gemini://localhost/\r\n")
    assert data == ROOT_PAGE


def test_plaintext_on_tls_port_is_logged_and_survived(srv):
    with socket.create_connection(("127.0.0.1", srv.gemini_port)) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        s.settimeout(5)
        try:
            while s.recv(4096):
                pass
        except (ConnectionResetError, socket.timeout):
            pass
    data, _ = srv.gemini_raw(b"gemini://localhost/\r\n")
    assert data == ROOT_PAGE
    assert "TLS handshake failed" in srv.wait_log("TLS handshake failed")


def test_fifty_concurrent_clients(server):
    # Over the 32 connections one address may have open by default.
    srv = server(extra_args=["--max-connections-per-address", "50"])
    results = [None] * 50
    start = threading.Barrier(50)

    def worker(i):
        start.wait()
        results[i] = srv.gemini_raw(b"gemini://localhost/page.gmi\r\n")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r == (b"20 text/gemini\r\n# A page\n\nSome text.\n", True)
               for r in results), results


def test_stalled_client_does_not_delay_others_and_is_dropped(srv):
    ctx = client_context()
    raw = socket.create_connection(("127.0.0.1", srv.gemini_port))
    stalled = ctx.wrap_socket(raw, server_hostname="localhost")
    stalled.sendall(b"gemini://localhost/pa")      # half a request
    silent = socket.create_connection(("127.0.0.1", srv.gemini_port))  # no handshake
    t0 = time.monotonic()
    for _ in range(5):
        data, _ = srv.gemini_raw(b"gemini://localhost/page.gmi\r\n")
        assert data == b"20 text/gemini\r\n# A page\n\nSome text.\n"
    assert time.monotonic() - t0 < 5, "other clients were delayed"
    stalled.settimeout(30)
    silent.settimeout(30)
    try:
        got = stalled.recv(100)
    except (ssl.SSLError, ConnectionResetError):
        got = b""
    waited = time.monotonic() - t0
    assert got == b""
    assert 8 <= waited <= 20, waited
    assert silent.recv(100) == b""
    stalled.close()
    silent.close()
    assert "no complete request within 10 s" in srv.wait_log("within 10 s")


def test_large_file_streams_byte_exact_with_flat_memory(srv):
    big = srv.capsule / "big.bin"
    block = os.urandom(1 << 20)
    h = hashlib.sha256()
    with open(big, "wb") as f:
        for i in range(100):
            chunk = block[i:] + block[:i]
            f.write(chunk)
            h.update(chunk)
    before = srv.rss_kb("VmRSS")
    ctx = client_context()
    got = hashlib.sha256()
    n = 0
    with socket.create_connection(("127.0.0.1", srv.gemini_port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost",
                             suppress_ragged_eofs=False) as s:
            s.sendall(b"gemini://localhost/big.bin\r\n")
            buf = b""
            while b"\r\n" not in buf:
                buf += s.recv(4096)
            header, _, rest = buf.partition(b"\r\n")
            assert header == b"20 application/octet-stream"
            got.update(rest)
            n += len(rest)
            peak = 0
            while True:
                b = s.recv(1 << 16)
                if not b:
                    break
                got.update(b)
                n += len(b)
                if n % (8 << 20) < (1 << 16):
                    peak = max(peak, srv.rss_kb("VmRSS"))
    assert n == 100 << 20
    assert got.hexdigest() == h.hexdigest()
    # The server holds a bounded window of the file, never all of it.
    srv.assert_memory_flat(before, peak)


def test_access_log_line(srv):
    srv.gemini_raw(b"gemini://localhost/page.gmi\r\n")
    srv.gemini_raw(b"gemini://localhost/\x01\"x\r\n")
    log = srv.wait_log("(control character)")
    import re
    assert re.search(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1 gemini '
                     r'localhost "gemini://localhost/page\.gmi" 20 37 \d+ms$',
                     log, re.M), log
    assert re.search(r' 127\.0\.0\.1 gemini localhost '
                     r'"gemini://localhost/\\x01\\x22x" 59 16 '
                     r'\d+ms \(control character\)$', log, re.M), log


def test_server_survives_abrupt_clients(srv):
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", srv.gemini_port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()   # RST mid-handshake
    ctx = client_context()
    for _ in range(5):
        raw = socket.create_connection(("127.0.0.1", srv.gemini_port))
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(b"gemini://localhost/file.zip\r\n")
        s.close()
    data, _ = srv.gemini_raw(b"gemini://localhost/\r\n")
    assert data == ROOT_PAGE


def test_symlink_to_a_dotfile_is_refused_and_logged(srv):
    data, notify = srv.gemini_raw(b"gemini://localhost/dot-target.txt\r\n")
    assert (data, notify) == (b"51 Not found\r\n", True)
    assert "leads to a dotfile" in srv.wait_log("leads to a dotfile")


def finished_with_request(port, request, ctx, session=None):
    """A TLS client whose Finished and request leave in one TCP segment (a
    client that writes them at once, with Nagle off, on a fast network):
    memory BIOs under a plain socket.  Returns the answer's bytes and the
    session."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost",
                       session=session)
    with socket.create_connection(("127.0.0.1", port), timeout=15) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                if outgoing.pending:
                    raw.sendall(outgoing.read())
                b = raw.recv(65536)
                assert b, "closed during the handshake"
                incoming.write(b)
        tls.write(request)
        raw.sendall(outgoing.read())    # Finished and request together
        out = bytearray()
        while True:
            try:
                b = tls.read(65536)
                if not b:
                    return bytes(out), tls.session    # close_notify
                out += b
                continue
            except ssl.SSLWantReadError:
                pass
            b = raw.recv(65536)
            if not b:
                return bytes(out), tls.session
            incoming.write(b)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_3,
                                     ssl.TLSVersion.TLSv1_2])
def test_request_in_the_segment_of_the_finished(srv, version):
    # TLS reads ahead: the request comes out of OpenSSL's buffer with the
    # end of the handshake, and no socket event will announce it again.
    # TLS 1.3's client Finished ends a full handshake; TLS 1.2's a resumed
    # one (in a full one the client waits for the server's Finished).
    ctx = client_context()
    ctx.minimum_version = ctx.maximum_version = version
    req = b"gemini://localhost/\r\n"
    started = time.monotonic()
    data, session = finished_with_request(srv.gemini_port, req, ctx)
    assert data == ROOT_PAGE
    if version == ssl.TLSVersion.TLSv1_2:
        data, _ = finished_with_request(srv.gemini_port, req, ctx, session)
        assert data == ROOT_PAGE
    assert time.monotonic() - started < 5, "the request waited for a timeout"
