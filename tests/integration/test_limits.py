"""Limits: connections in all and per address, and a request rate per
address.  Over a connection limit a client is closed at once (Gopher first
gets a type-3 line), over the rate Gemini answers 44 and Gopher a type-3
line; one address at its limits slows no one else."""
import re
import select
import socket
import threading
import time

from conftest import (accept_queue, accepted, client_context,
                      closed_by_server, connections_held, free_port,
                      quiescent, read_all, server_ends, wait_until)
from sitekit import write_tree


def connect(port, source, timeout=15):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0))


def gemini_from(port, source, url=b"gemini://localhost/page.gmi\r\n"):
    raw = connect(port, source)
    with client_context().wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(url)
        return read_all(s)


def gopher_from(port, source, sel=b"/hello.txt\r\n"):
    with connect(port, source) as s:
        s.sendall(sel)
        return read_all(s)


def closed_at_once(sock, within=15.0):
    """True when the server closes sock (EOF or reset) within `within`."""
    sock.settimeout(within)
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def count_closed(socks, want, timeout=5.0):
    """How many of socks the server has closed, waiting until `want` are
    (or timeout), then a little more in case there are more."""
    done = set()
    deadline = time.monotonic() + timeout
    settle = None
    while True:
        left = [c for c in socks if c not in done]
        now = time.monotonic()
        if now > deadline or (settle is not None and now > settle):
            return len(done)
        r, _, _ = select.select(left, [], [], 0.1)
        for c in r:
            try:
                if c.recv(100) == b"":
                    done.add(c)
            except ConnectionResetError:
                done.add(c)
        if len(done) >= want and settle is None:
            settle = time.monotonic() + 0.3


PAGE = b"20 text/gemini\r\n# A page\n\nSome text.\n"


def test_one_address_at_its_cap_slows_no_one_else(server):
    s = server()
    assert ("limits: " in s.wait_log("limits: ") and
            re.search(r"limits: \d+ connections \(from the open-files limit\)"
                      r", 32 per address, requests 20/s burst 100 per "
                      r"address", s.log())), s.log()
    held, ends = [], []
    for _ in range(200):
        c = connect(s.gemini_port, "127.0.0.3")
        held.append(c)
        # Taken now: a connection reset has no peer address left.
        ends += server_ends([c])
    # Meanwhile another address is served, promptly.
    t0 = time.monotonic()
    for _ in range(10):
        assert gemini_from(s.gemini_port, "127.0.0.4") == PAGE
    assert time.monotonic() - t0 < 5
    refused = count_closed(held, 168)
    assert refused == 200 - 32, refused
    wait_until(lambda: s.log().count(
        "over max-connections-per-address (32)") >= 168)
    log = s.log()
    # Refused at once, before any TLS: 0 ms, tens on a busy machine.
    assert len(re.findall(r' 127\.0\.0\.3 gemini localhost "" - 0 \d+ms '
                          r'\(over max-connections-per-address \(32\)\)',
                          log)) == 168, log
    assert "TLS handshake failed" not in log
    for c in held:
        c.close()
    # Once they are gone, the address is served again.
    pid = s.server_pid()
    assert wait_until(lambda: closed_by_server(ends) and quiescent(pid))
    assert gemini_from(s.gemini_port, "127.0.0.3") == PAGE


def test_gopher_over_the_cap_gets_a_type_3_line(server):
    s = server(extra_args=["--max-connections-per-address", "3"])
    held = [connect(s.gopher_port, "127.0.0.3") for _ in range(3)]
    # Counted once accepted and the server waits again.
    pid = s.server_pid()
    assert wait_until(lambda: accepted(held) and quiescent(pid))
    got = gopher_from(s.gopher_port, "127.0.0.3")
    assert got == (b"3Too many connections: try again in 10 seconds\t\t"
                   b"error.host\t1\r\n.\r\n")
    assert gopher_from(s.gopher_port, "127.0.0.4") == b"hello, world\n"
    ends = server_ends(held)
    for c in held:
        c.close()
    assert wait_until(lambda: closed_by_server(ends) and quiescent(pid))
    assert gopher_from(s.gopher_port, "127.0.0.3") == b"hello, world\n"
    assert re.search(r' 127\.0\.0\.3 gopher localhost "" 3 65 \d+ms '
                     r'\(over max-connections-per-address \(3\)\)',
                     s.wait_log("(3))"))


def test_max_connections_in_all(server):
    s = server(extra_args=["--max-connections", "4",
                           "--max-connections-per-address", "off"])
    pid = s.server_pid()
    # The fixture's probes of the ports closed and no longer counted.
    assert wait_until(lambda: accept_queue(s.gemini_port) == 0 and
                      accept_queue(s.gopher_port) == 0 and
                      connections_held(pid) == 0 and quiescent(pid))
    held = [connect(s.gopher_port, "127.0.0.%d" % (3 + i)) for i in range(4)]
    # All four counted, and kept: one refused would be closed already.
    assert wait_until(lambda: accepted(held) and quiescent(pid))
    assert accepted(held)
    assert gopher_from(s.gopher_port, "127.0.0.9").startswith(
        b"3Too many connections")
    c = connect(s.gemini_port, "127.0.0.9")
    assert closed_at_once(c)
    c.close()
    last = held.pop()
    ends = server_ends([last])
    last.close()
    assert wait_until(lambda: closed_by_server(ends) and quiescent(pid))
    assert gopher_from(s.gopher_port, "127.0.0.9") == b"hello, world\n"
    for c in held:
        c.close()
    assert "(over max-connections (4))" in s.wait_log("max-connections (4)")


def test_rate_limit_44_and_type_3(server):
    rate = 2
    s = server(extra_args=["--rate-limit", f"{rate}/s burst 3"])
    for _ in range(3):
        assert gemini_from(s.gemini_port, "127.0.0.3") == PAGE
    assert gemini_from(s.gemini_port, "127.0.0.3") == b"44 1\r\n"
    # Gopher counts against the same address.
    assert gopher_from(s.gopher_port, "127.0.0.3") == (
        b"3Too many requests: try again in 1 second\t\tlocalhost\t"
        + str(s.gopher_port).encode() + b"\r\n.\r\n")
    # Another address has its own budget.
    assert gemini_from(s.gemini_port, "127.0.0.4") == PAGE
    # Half a second gives one request back.  The subject: time refills
    # the bucket (at least 1.2 requests' worth here, more if slow).
    time.sleep(1.2 / rate)
    assert gopher_from(s.gopher_port, "127.0.0.3") == b"hello, world\n"
    log = s.wait_log("rate limit")
    assert re.search(r' 127\.0\.0\.3 gemini localhost '
                     r'"gemini://localhost/page\.gmi" 44 6 \d+ms '
                     r'\(over the rate limit\)$', log, re.M), log
    assert re.search(r' 127\.0\.0\.3 gopher localhost "/hello\.txt" 3 \d+ '
                     r'\d+ms \(over the rate limit\)$', log, re.M), log


def test_a_client_hammering_slows_no_one_else(server):
    """16 threads from 127.0.0.3 as fast as they can (most get 44) while
    127.0.0.4 reads pages at a reader's pace."""
    s = server(extra_args=["--rate-limit", "10/s burst 10"])
    stop = threading.Event()
    counts = {"44": 0, "20": 0, "other": 0}
    lock = threading.Lock()

    def hammer():
        while not stop.is_set():
            try:
                got = gemini_from(s.gemini_port, "127.0.0.3")
            except OSError:
                got = b"closed"
            key = got[:2].decode("ascii", "replace")
            with lock:
                counts[key if key in counts else "other"] += 1

    threads = [threading.Thread(target=hammer) for _ in range(16)]
    for t in threads:
        t.start()
    try:
        # Hammering: over its limit already.
        assert wait_until(lambda: counts["44"] > 0), counts
        worst = 0
        for _ in range(10):
            t0 = time.monotonic()
            assert gemini_from(s.gemini_port, "127.0.0.4") == PAGE
            worst = max(worst, time.monotonic() - t0)
            # The subject: a reader's pace, not a wait for anything.
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert counts["44"] > 0 and counts["20"] >= 10, counts
    # The Python client's own handshake is most of this; the bound is wide.
    assert worst < 1.0, worst


def test_limits_in_the_configuration_file(conf_server, tmp_path):
    write_tree(tmp_path / "cap", {"index.gmi": "# Home\n",
                                  "hello.txt": "hello\n"})
    gop = free_port()
    text = f"""listen "127.0.0.1"
gemini-port 0
max-connections 50
max-connections-per-address 2
rate-limit 1/s burst 2
site "localhost" {{ capsule "{tmp_path}/cap" gopher-port {gop} }}
"""
    s = conf_server(text, gopher_ports=[gop])
    assert ("limits: 50 connections, 2 per address, requests 1/s burst 2 "
            "per address") in s.wait_log("limits:")
    held = [connect(gop, "127.0.0.3") for _ in range(2)]
    pid = s.server_pid()
    assert wait_until(lambda: accepted(held) and quiescent(pid))
    assert gopher_from(gop, "127.0.0.3").startswith(b"3Too many connections")
    for c in held:
        c.close()
    # 127.0.0.4 has counts of its own.
    assert gopher_from(gop, "127.0.0.4") == b"hello\n"
    assert gopher_from(gop, "127.0.0.4") == b"hello\n"
    # Its two connections let go (the server closes once it sees the
    # client's close): the third is judged on the rate alone.
    assert wait_until(lambda: connections_held(pid) == 0 and quiescent(pid))
    assert gopher_from(gop, "127.0.0.4").startswith(b"3Too many requests")
    # A reload takes the new values.
    line = s.reload(text.replace("rate-limit 1/s burst 2", "rate-limit off")
                    .replace("max-connections-per-address 2",
                             "max-connections-per-address off"))
    assert "reloaded: 1 sites" in line, line
    assert ("limits: 50 connections, no limit per address, requests no "
            "limit per address") in s.log()
    for _ in range(5):
        assert gopher_from(gop, "127.0.0.4") == b"hello\n"
