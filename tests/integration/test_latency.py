"""Every reader gets the answer at once, whatever its TCP stack does.

Clients here leave Nagle's algorithm on, as Python's ssl module, openssl
s_client, GnuTLS and most scripts do, and write the request in a write of
its own after the handshake: such a client holds a small segment back
until the one before it is acknowledged, and an ACK the server delays
costs it 40 ms (the kernel's delayed-ACK timer) per request.  Each case
times a dozen requests from the request's last write to the answer's
first byte and asserts concrete bytes; the median must stay well under
the stall, so a loaded machine cannot fail it (the bench measures the
figures themselves: tests/bench)."""
import os
import select
import socket
import ssl
import statistics
import subprocess
import time

import pytest

from conftest import (client_context, free_ports, make_capsule, read_all,
                      wait_port)
from test_haproxy import HAPROXY
from titankit import Uploads, context

ROUNDS = 12
# Half the kernel's delayed-ACK timer (TCP_DELACK_MIN): a stalled request
# takes at least 40 ms, an answered one well under a millisecond.
STALL_MS = 20.0
PAGE = b"20 text/gemini\r\n# Test capsule\n\nHello.\n=> page.gmi A page\n"


def nagle_socket(port, source="127.0.0.1"):
    """A plain connected socket, as it comes: no TCP_NODELAY."""
    s = socket.create_connection(("127.0.0.1", port), timeout=15,
                                 source_address=(source, 0))
    assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    return s


def first_byte(s, parts):
    """Writes each part in a write of its own; returns (ms from the last
    write to the first byte of the answer, the whole answer)."""
    for p in parts:
        s.sendall(p)
    t0 = time.monotonic()
    first = s.recv(65536)
    ms = (time.monotonic() - t0) * 1000
    try:
        rest = read_all(s)
    except (ssl.SSLEOFError, ConnectionResetError):
        rest = b""
    return ms, first + rest


def assert_prompt(times, what):
    assert statistics.median(times) < STALL_MS, (
        f"{what}: request to first byte (ms) {sorted(times)}")


def tls_rounds(port, request, ctx, resume=False, source="127.0.0.1"):
    """ROUNDS requests over TLS; (times, answers, resumptions)."""
    times, answers, reused, session = [], [], 0, None
    for _ in range(ROUNDS):
        raw = nagle_socket(port, source)
        with ctx.wrap_socket(raw, server_hostname="localhost",
                             session=session) as s:
            ms, answer = first_byte(s, [request])
            reused += s.session_reused
            if resume:
                session = s.session
        times.append(ms)
        answers.append(answer)
    return times, answers, reused


def tls_context(version):
    ctx = client_context()
    ctx.minimum_version = ctx.maximum_version = version
    return ctx


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_3,
                                     ssl.TLSVersion.TLSv1_2])
@pytest.mark.parametrize("resume", [False, True])
def test_python_client_with_default_sockets(srv, version, resume):
    times, answers, reused = tls_rounds(
        srv.gemini_port, b"gemini://localhost/\r\n", tls_context(version),
        resume)
    assert answers == [PAGE] * ROUNDS
    # The first connection is a full handshake; the others resume.
    assert reused == (ROUNDS - 1 if resume else 0)
    assert_prompt(times, f"{version.name}, resume={resume}")


def gopher_rounds(port, what):
    """ROUNDS plain Gopher requests for hello.txt, each asserted whole."""
    times = []
    for _ in range(ROUNDS):
        with nagle_socket(port) as s:
            ms, answer = first_byte(s, [b"/hello.txt\r\n"])
        assert answer == b"hello, world\n"
        times.append(ms)
    assert_prompt(times, what)


def test_gopher_plain(srv):
    gopher_rounds(srv.gopher_port, "gopher")


@pytest.mark.parametrize("resume", [False, True])
def test_gopher_over_tls(srv, resume):
    times, answers, reused = tls_rounds(srv.gopher_port, b"/hello.txt\r\n",
                                        client_context(), resume)
    assert answers == [b"hello, world\n"] * ROUNDS
    assert reused == (ROUNDS - 1 if resume else 0)
    assert_prompt(times, f"gopher over TLS, resume={resume}")


@pytest.fixture
def up(tmp_path, conf_server):
    u = Uploads(tmp_path)
    conf_server(u.text(), gemini_port=u.gemini, gopher_ports=[u.gopher])
    return u


def test_titan_body_in_a_second_write(up):
    """The parameters and CRLF in one write, the body in the next, as
    Lagrange and gmid's titan send them."""
    ctx = context(up.alice)
    times = []
    for i in range(ROUNDS):
        body = b"# Page %d\n" % i
        head = f"{up.url('/up.gmi')};size={len(body)}\r\n".encode()
        with ctx.wrap_socket(nagle_socket(up.gemini),
                             server_hostname="localhost") as s:
            ms, answer = first_byte(s, [head, body])
        assert answer == f"30 gemini://localhost:{up.gemini}/up.gmi\r\n" \
            .encode()
        assert (up.capsule / "up.gmi").read_bytes() == body
        times.append(ms)
    assert_prompt(times, "titan")


def tls_records(stream):
    """The whole TLS records in stream, each with its 5-byte header."""
    records = []
    while len(stream) >= 5:
        end = 5 + int.from_bytes(stream[3:5], "big")
        assert len(stream) >= end, stream
        records.append(stream[:end])
        stream = stream[end:]
    assert stream == b""
    return records


class MemoryTLS:
    """A TLS client over the plain socket raw, its records in our hands."""

    def __init__(self, raw, ctx):
        self.raw, self.incoming, self.outgoing = (raw, ssl.MemoryBIO(),
                                                  ssl.MemoryBIO())
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing,
                                server_hostname="localhost")
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.incoming.write(raw.recv(65536))
        self.flush()

    def flush(self):
        self.raw.sendall(self.outgoing.read())


def test_a_held_back_ticket_follows_the_response(up):
    """When a client sent a certificate, its full TLS 1.3 handshake's
    session ticket is made after the response has gone (OpenSSL 3.0 takes
    a quarter of a millisecond over it, the certificate in it): the
    records after the request are the response, then the ticket, then
    close_notify; and the ticket resumes, certificate and all."""
    ctx = context(up.alice)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with nagle_socket(up.gemini) as raw:
        c = MemoryTLS(raw, ctx)
        assert c.tls.version() == "TLSv1.3"
        c.tls.write(b"gemini://localhost/page.gmi\r\n")
        c.flush()
        records = tls_records(read_all(raw))
    assert len(records) == 3, records
    c.incoming.write(records[0])
    assert c.tls.read(65536) == b"20 text/gemini\r\n# Old page\n"
    assert not c.tls.session.has_ticket
    c.incoming.write(records[1])
    with pytest.raises(ssl.SSLWantReadError):
        c.tls.read(65536)
    session = c.tls.session
    assert session.has_ticket
    c.incoming.write(records[2])
    assert c.tls.read(65536) == b""
    with ctx.wrap_socket(nagle_socket(up.gemini), server_hostname="localhost",
                         session=session) as s:
        s.sendall(b"gemini://localhost/page.gmi\r\n")
        assert read_all(s) == b"20 text/gemini\r\n# Old page\n"
        assert s.session_reused
    # Without a certificate the ticket is cheap: it comes first, as it
    # does on any site.
    ctx = context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with nagle_socket(up.gemini) as raw:
        c = MemoryTLS(raw, ctx)
        c.tls.write(b"gemini://localhost/page.gmi\r\n")
        c.flush()
        records = tls_records(read_all(raw))
    assert len(records) == 3, records
    c.incoming.write(records[0])
    with pytest.raises(ssl.SSLWantReadError):
        c.tls.read(65536)
    assert c.tls.session.has_ticket
    c.incoming.write(records[1])
    assert c.tls.read(65536) == b"20 text/gemini\r\n# Old page\n"


def test_a_held_back_ticket_follows_a_streamed_file(up):
    """A file too big to be kept whole is streamed: the ticket held back
    comes after its last byte, and resumes."""
    body = bytes(range(256)) * (8 * 1024 + 1)      # 2 MiB and a bit
    (up.capsule / "big.bin").write_bytes(body)
    ctx = context(up.alice)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    session = None
    for reused in (False, True):
        with ctx.wrap_socket(nagle_socket(up.gemini),
                             server_hostname="localhost",
                             session=session) as s:
            s.sendall(b"gemini://localhost/big.bin\r\n")
            assert read_all(s) == (b"20 application/octet-stream\r\n" +
                                   body)
            assert s.session_reused == reused
            assert s.session.has_ticket
            session = s.session


PROXY_CONF = """listen "127.0.0.1" proxy
gemini-port {gemini}
site "localhost" {{
    capsule "{capsule}"
    certs "{certs}"
    lang none
    gopher-port {gopher}
}}
"""


@pytest.fixture
def behind_proxy(tmp_path, conf_server):
    gemini, gopher = free_ports(2)
    text = PROXY_CONF.format(gemini=gemini, gopher=gopher,
                             capsule=make_capsule(tmp_path),
                             certs=tmp_path / "certs")
    return conf_server(text, gemini_port=gemini, gopher_ports=[gopher])


def proxy_line(port):
    return f"PROXY TCP4 192.0.2.7 127.0.0.1 4321 {port}\r\n".encode()


def test_through_a_proxy_header(behind_proxy):
    """The header in a write of its own, as a proxy that connects before
    its client speaks sends it: the ClientHello (or the selector) after
    it must not wait, nor the request after the handshake."""
    srv = behind_proxy
    gem, hello, gop = [], [], []
    for _ in range(ROUNDS):
        raw = nagle_socket(srv.gemini_port)
        raw.sendall(proxy_line(srv.gemini_port))
        t0 = time.monotonic()
        with client_context().wrap_socket(raw,
                                          server_hostname="localhost") as s:
            hello.append((time.monotonic() - t0) * 1000)
            ms, answer = first_byte(s, [b"gemini://localhost/\r\n"])
        assert answer == PAGE
        gem.append(ms)
        with nagle_socket(srv.gopher_port) as s:
            ms, answer = first_byte(s, [proxy_line(srv.gopher_port),
                                        b"/hello.txt\r\n"])
        assert answer == b"hello, world\n"
        gop.append(ms)
    assert_prompt(hello, "PROXY header, then the handshake")
    assert_prompt(gem, "PROXY header, Gemini request")
    assert_prompt(gop, "PROXY header, Gopher selector")
    assert srv.wait_log("192.0.2.7").count("192.0.2.7") >= ROUNDS


def drive(cmd, ready, port):
    """Runs a command-line TLS client, writes the request once it says its
    handshake is done, and returns (ms to the answer's first bytes, what
    it printed after the request, once the whole page is there)."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, bufsize=0)
    out, t0, t1, mark = b"", None, None, 0
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            if not select.select([p.stdout], [], [], 1)[0]:
                continue
            b = os.read(p.stdout.fileno(), 65536)
            if not b:
                break
            out += b
            if t0 is None and ready(out):
                mark = len(out)
                p.stdin.write(f"gemini://localhost:{port}/\r\n".encode())
                t0 = time.monotonic()
            elif t0 is not None and t1 is None and b"20 " in out[mark:]:
                t1 = time.monotonic()
            if t1 is not None and b"=> page.gmi A page\n" in out[mark:]:
                return (t1 - t0) * 1000, out[mark:]
        raise AssertionError(f"{cmd[0]} got no answer:\n" +
                             out.decode(errors="replace"))
    finally:
        p.kill()
        p.wait()


def test_openssl_s_client(srv):
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.gemini_port}",
           "-servername", "localhost", "-ign_eof"]
    times = []
    for _ in range(ROUNDS):
        ms, out = drive(cmd, lambda o: b"Verify return code" in o and
                        o.rstrip().endswith(b"---"), srv.gemini_port)
        assert PAGE in out
        times.append(ms)
    assert_prompt(times, "openssl s_client")


def test_gnutls_cli(srv):
    """GnuTLS (Emacs and elpher) writes its ChangeCipherSpec and its
    Finished apart: the first must be acknowledged for the second."""
    cmd = ["gnutls-cli", "--insecure", "--sni-hostname", "localhost",
           "-p", str(srv.gemini_port), "127.0.0.1"]
    times = []
    for _ in range(ROUNDS):
        ms, out = drive(cmd, lambda o: b"- Simple Client Mode:" in o,
                        srv.gemini_port)
        assert PAGE in out
        times.append(ms)
    assert_prompt(times, "gnutls-cli")


def test_gnutls_cli_resumed(srv):
    """gnutls-cli --resume connects twice and asks on the second, resumed
    connection; under TLS 1.3 it must wait for the first one's ticket
    (--waitresumption), which the server sends as its handshake ends."""
    cmd = ["gnutls-cli", "--insecure", "--sni-hostname", "localhost",
           "--resume", "--waitresumption",
           "-p", str(srv.gemini_port), "127.0.0.1"]
    times = []
    for _ in range(ROUNDS):
        ms, out = drive(cmd, lambda o: b"*** This is a resumed session" in o
                        and b"- Simple Client Mode:" in o, srv.gemini_port)
        assert PAGE in out
        times.append(ms)
    assert_prompt(times, "gnutls-cli --resume")


HAPROXY_CFG = """global
    maxconn 64
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
listen gemini
    bind 127.0.0.1:{hg}
    server a 127.0.0.1:{gemini} send-proxy-v2
listen gopher
    bind 127.0.0.1:{hp}
    server a 127.0.0.1:{gopher} send-proxy
"""


@pytest.fixture
def haproxy(tmp_path, behind_proxy):
    """Debian's haproxy in front of one attache (one instance, so that
    sessions resume), ports hg and hp."""
    srv = behind_proxy
    srv.hg, srv.hp = free_ports(2)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(HAPROXY_CFG.format(hg=srv.hg, hp=srv.hp,
                                      gemini=srv.gemini_port,
                                      gopher=srv.gopher_port))
    log = tmp_path / "haproxy.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        if not (wait_port(srv.hg) and wait_port(srv.hp)):
            raise RuntimeError("haproxy did not start: " + log.read_text())
        yield srv
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("version, resume", [
    (ssl.TLSVersion.TLSv1_3, False), (ssl.TLSVersion.TLSv1_3, True),
    (ssl.TLSVersion.TLSv1_2, False), (ssl.TLSVersion.TLSv1_2, True)])
def test_behind_haproxy(haproxy, version, resume):
    """Debian's haproxy in front (PROXY v2 to Gemini): our ACKs reach
    haproxy, which delays its own to the client, so only bytes of ours
    can carry it: a TLS 1.3 handshake ends with a ticket, and a TLS 1.2
    client that offers one gets a full handshake, which ends with our
    Finished (a resumed one has nothing to send after the client's)."""
    times, answers, reused = tls_rounds(
        haproxy.hg, b"gemini://localhost/\r\n", tls_context(version), resume)
    assert answers == [PAGE] * ROUNDS
    tls13 = version == ssl.TLSVersion.TLSv1_3
    assert reused == (ROUNDS - 1 if resume and tls13 else 0)
    assert_prompt(times, f"haproxy, {version.name}, resume={resume}")


def test_gopher_behind_haproxy(haproxy):
    gopher_rounds(haproxy.hp, "haproxy, Gopher")
