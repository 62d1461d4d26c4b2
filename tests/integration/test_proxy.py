"""The PROXY protocol, v1 and v2, on both ports: the client address it
gives is logged, bytes after it go to TLS or the Gopher request, and
anything malformed, partial or late closes the connection."""
import ipaddress
import re
import socket
import struct
import time

import pytest

from conftest import (accepted, client_context, closed_by_server,
                      connections_held, free_port, listening_descriptors,
                      quiescent, read_all, server_ends, wait_until)
from sitekit import write_tree

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src, dst, sport, dport):
    fam = "TCP6" if ":" in src else "TCP4"
    return f"PROXY {fam} {src} {dst} {sport} {dport}\r\n".encode()


def v2(src, dst, sport, dport, local=False, tlvs=b""):
    if local:
        return SIG + b"\x20\x00" + struct.pack("!H", len(tlvs)) + tlvs
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    fam = b"\x11" if a.version == 4 else b"\x21"
    body = a.packed + b.packed + struct.pack("!HH", sport, dport) + tlvs
    return SIG + b"\x21" + fam + struct.pack("!H", len(body)) + body


def connect(port, header, host="127.0.0.1"):
    s = socket.create_connection((host, port), timeout=15)
    if header:
        s.sendall(header)
    return s


def closed(sock):
    """What the server sent before closing; a reset (unread bytes of
    ours were still queued when it closed) counts as nothing sent."""
    try:
        return read_all(sock)
    except ConnectionResetError:
        return b""


def gopher_via(port, header, request, host="127.0.0.1"):
    with connect(port, header, host) as s:
        s.sendall(request)
        return read_all(s)


def gemini_via(port, header, request, sni="localhost"):
    raw = connect(port, header)
    with client_context().wrap_socket(raw, server_hostname=sni) as s:
        s.sendall(request)
        return read_all(s)


@pytest.fixture
def proxied(server):
    return server(extra_args=["--proxy-protocol"])


def test_v1_gopher_logs_the_client(proxied):
    s = proxied
    hdr = v1("203.0.113.7", "198.51.100.1", 40000, 70)
    assert gopher_via(s.gopher_port, hdr, b"/hello.txt\r\n") == \
        b"hello, world\n"
    assert ' 203.0.113.7 gopher localhost "/hello.txt" 0 13 ' in \
        s.wait_log("203.0.113.7 gopher")


def test_v2_gemini_before_tls(proxied):
    s = proxied
    hdr = v2("2001:db8::5", "2001:db8::1", 50000, 1965)
    data = gemini_via(s.gemini_port, hdr, b"gemini://localhost/page.gmi\r\n")
    assert data == b"20 text/gemini\r\n# A page\n\nSome text.\n"
    assert ' 2001:db8::5 gemini localhost "gemini://localhost/page.gmi" 20 ' \
        in s.wait_log("2001:db8::5 gemini")


def test_gemini_port_is_the_one_the_client_reached(proxied):
    """Behind a front end on another port, a URL naming the front end's
    port is ours; the backend's own port is not what the client used."""
    s = proxied
    hdr = v2("192.0.2.9", "192.0.2.1", 50000, 1965)
    assert gemini_via(s.gemini_port, hdr,
                      b"gemini://localhost:1965/page.gmi\r\n").startswith(
        b"20 text/gemini\r\n")
    hdr = v2("192.0.2.9", "192.0.2.1", 50000, 1965)
    url = f"gemini://localhost:{s.gemini_port}/page.gmi\r\n".encode()
    assert gemini_via(s.gemini_port, hdr, url) == \
        b"53 Proxy request refused\r\n"
    # The address the client reached serves as a host name too.
    hdr = v1("192.0.2.9", "192.0.2.1", 50000, 1965)
    assert gemini_via(s.gemini_port, hdr,
                      b"gemini://192.0.2.1/page.gmi\r\n").startswith(b"20 ")


def test_v2_tlvs_are_skipped_and_gopher_over_v2(proxied):
    s = proxied
    hdr = v2("192.0.2.10", "192.0.2.1", 1, 2, tlvs=b"\x04\x00\x03abc")
    assert gopher_via(s.gopher_port, hdr, b"/hello.txt\r\n") == \
        b"hello, world\n"
    assert " 192.0.2.10 gopher " in s.wait_log("192.0.2.10 gopher")


def test_local_and_unknown_use_the_socket(proxied):
    s = proxied
    assert gopher_via(s.gopher_port, v2(None, None, 0, 0, local=True),
                      b"/hello.txt\r\n") == b"hello, world\n"
    assert gopher_via(s.gopher_port, b"PROXY UNKNOWN\r\n",
                      b"/hello.txt\r\n") == b"hello, world\n"
    log = s.wait_log('"/hello.txt" 0 13')
    assert log.count(' 127.0.0.1 gopher localhost "/hello.txt" 0 13 ') == 2


def test_health_checks_are_not_errors(proxied):
    """What HAProxy's checks do: a LOCAL header and a close, or a bare
    connect and close."""
    s = proxied
    for port in (s.gemini_port, s.gopher_port):
        connect(port, v2(None, None, 0, 0, local=True)).close()
        connect(port, b"").close()
        connect(port, v1("127.0.0.1", "127.0.0.1", 1, port)).close()
    assert gopher_via(s.gopher_port, b"PROXY UNKNOWN\r\n", b"/\r\n")
    log = s.wait_log('"/" 1 ')
    assert " warn" not in log, log


@pytest.mark.parametrize("hdr,why", [
    (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "v1: LF without CR"),
    (b"PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "v1: invalid IPv4 address"),
    (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", "v1: invalid port"),
    (b"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "v1: unknown protocol"),
    (b"PROXY UNKNOWN " + b"x" * 100 + b"\r\n", "v1: no CRLF within 107 bytes"),
    (SIG + b"\x22\x11\x00\x0c" + b"\x00" * 12, "v2: unknown command"),
    (SIG + b"\x21\x11\x00\x08" + b"\x00" * 8, "v2: address block too short"),
    (SIG + b"\x21\x11\x04\x00", "v2: header longer than 1024 bytes"),
    (b"/hello.txt\r\n", "not a PROXY header"),
    (b"\x16\x03\x01\x00\x05hello", "not a PROXY header"),
])
def test_malformed_header_closes(proxied, hdr, why):
    s = proxied
    with connect(s.gopher_port, hdr + b"/hello.txt\r\n") as c:
        assert closed(c) == b""
    assert f"PROXY header refused: {why}" in s.wait_log(why)
    assert "hello.txt\" 0" not in s.log()


def test_header_in_pieces(proxied):
    s = proxied
    hdr = v1("198.51.100.3", "198.51.100.1", 1000, 70)
    pid = s.server_pid()
    # Each piece once the server has looked at what came before (it
    # peeks: the bytes stay in the socket) and waits for more.
    with connect(s.gopher_port, hdr[:9]) as c:
        assert wait_until(lambda: accepted([c]) and quiescent(pid))
        c.sendall(hdr[9:30])
        assert wait_until(lambda: quiescent(pid))
        c.sendall(hdr[30:] + b"/hello.txt\r\n")
        assert read_all(c) == b"hello, world\n"
    assert " 198.51.100.3 gopher " in s.wait_log("198.51.100.3")


def test_partial_header_closed_within_3_seconds(proxied):
    s = proxied
    t0 = time.monotonic()
    with connect(s.gopher_port, b"PROXY TCP4 1.2.3") as c:
        assert closed(c) == b""
    assert 2.5 < time.monotonic() - t0 < 6
    assert "no complete PROXY header within 3 s" in \
        s.wait_log("PROXY header within")
    # A partial header and a close is said at once.
    c = connect(s.gemini_port, SIG[:5])
    c.shutdown(socket.SHUT_WR)
    assert closed(c) == b""
    c.close()
    assert "PROXY header refused: closed within the PROXY header" in \
        s.wait_log("closed within")


def test_without_the_option_a_header_is_a_request(srv):
    got = gopher_via(srv.gopher_port, b"", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n")
    assert got.startswith(b"3Not found\t")


def listening_inodes(pid, port):
    """The socket inodes of pid listening on port."""
    return set(listening_descriptors(pid, port))


def test_config_file_proxy_listener_and_reload_keeps_the_socket(
        conf_server, tmp_path):
    write_tree(tmp_path / "cap", {"index.gmi": "# Home\n",
                                  "hello.txt": "hello\n"})
    gop = free_port()
    text = f"""listen "127.0.0.1"@PROXY@
gemini-port 0
site "localhost" {{ capsule "{tmp_path}/cap" gopher-port {gop} }}
"""
    s = conf_server(text.replace("@PROXY@", ""), gopher_ports=[gop])
    before = listening_inodes(s.proc.pid, gop)
    assert before
    assert s.gopher_raw(b"/hello.txt\r\n") == b"hello\n"
    assert "reloaded: 1 sites" in s.reload(text.replace("@PROXY@", " proxy"))
    assert listening_inodes(s.proc.pid, gop) == before
    with connect(gop, b"/hello.txt\r\n") as c:
        assert closed(c) == b""
    assert gopher_via(gop, v1("192.0.2.44", "127.0.0.1", 1, gop),
                      b"/hello.txt\r\n") == b"hello\n"
    assert " 192.0.2.44 gopher localhost " in s.wait_log("192.0.2.44")
    assert "reloaded: 1 sites" in s.reload(text.replace("@PROXY@", ""))
    assert listening_inodes(s.proc.pid, gop) == before
    assert s.gopher_raw(b"/hello.txt\r\n") == b"hello\n"


def test_limits_count_the_address_from_the_header(server):
    s = server(extra_args=["--proxy-protocol",
                           "--max-connections-per-address", "2"])
    held = [connect(s.gopher_port, v1("192.0.2.50", "127.0.0.1", n, 70))
            for n in (1, 2)]
    # Counted once their headers are read and the server waits again.
    pid = s.server_pid()
    assert wait_until(lambda: accepted(held, read=True) and quiescent(pid))
    # A third from the same client is refused; another client is not.
    got = gopher_via(s.gopher_port, v1("192.0.2.50", "127.0.0.1", 3, 70),
                     b"/hello.txt\r\n")
    assert got.startswith(b"3Too many connections: try again in 10 "
                          b"seconds\t\terror.host\t1\r\n")
    assert gopher_via(s.gopher_port, v1("192.0.2.51", "127.0.0.1", 4, 70),
                      b"/hello.txt\r\n") == b"hello, world\n"
    for h in held:
        h.close()
    assert ' 192.0.2.50 gopher localhost "" 3 ' in s.wait_log(
        "over max-connections-per-address (2)")


def test_an_ipv6_client_is_counted_by_its_64(server):
    """Any address of one /64 is one client (a host picks its own at will);
    the next /64 is someone else.  Rates count the same way."""
    s = server(extra_args=["--proxy-protocol",
                           "--max-connections-per-address", "2",
                           "--rate-limit", "1/s burst 2"])
    held = [connect(s.gopher_port, v1(src, "::1", n, 70))
            for n, src in ((1, "2001:db8:1:2::50"),
                           (2, "2001:db8:1:2:a1b2:c3d4:e5f6:789"))]
    pid = s.server_pid()
    assert wait_until(lambda: accepted(held, read=True) and quiescent(pid))
    got = gopher_via(s.gopher_port, v1("2001:db8:1:2::51", "::1", 3, 70),
                     b"/hello.txt\r\n")
    assert got == (b"3Too many connections: try again in 10 seconds\t\t"
                   b"error.host\t1\r\n.\r\n")
    assert gopher_via(s.gopher_port, v1("2001:db8:1:3::50", "::1", 4, 70),
                      b"/hello.txt\r\n") == b"hello, world\n"
    ends = server_ends(held)
    for h in held:
        h.close()
    assert re.search(r' 2001:db8:1:2::51 gopher localhost "" 3 65 \d+ms '
                     r'\(over max-connections-per-address \(2\)\)',
                     s.wait_log("over max-connections-per-address (2)"))
    # The rate: requests from two addresses of the /64 use up its burst;
    # a third address of it waits, the neighbour /64 does not.  First the
    # two held are let go, and no longer counted.
    assert wait_until(lambda: closed_by_server(ends) and quiescent(pid))
    for n in (5, 6):
        assert gopher_via(s.gopher_port,
                          v1(f"2001:db8:1:2::{n}", "::1", n, 70),
                          b"/hello.txt\r\n") == b"hello, world\n"
    # Those two let go (the server closes once it sees the client's
    # close): the third is judged on the rate alone.
    assert wait_until(lambda: connections_held(pid) == 0 and quiescent(pid))
    got = gopher_via(s.gopher_port, v1("2001:db8:1:2::7", "::1", 7, 70),
                     b"/hello.txt\r\n")
    assert got.startswith(b"3Too many requests: try again in "), got
    assert gopher_via(s.gopher_port, v1("2001:db8:1:3::7", "::1", 8, 70),
                      b"/hello.txt\r\n") == b"hello, world\n"
