"""Memory per connection that has connected and sent nothing, and the
memory given back once such a burst has closed.  The bounds are generous
(the bench measures; this checks the shape): a connection waiting for its
first byte holds no TLS state and no buffers."""
import resource
import socket
import time

import pytest

from conftest import SANITIZED, connections_held, wait_until

N = 2000


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want:
        pytest.skip(f"the open-files hard limit ({hard}) is below {want}")
    if soft == resource.RLIM_INFINITY or soft >= want:
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def test_idle_connections_are_small_and_given_back(server):
    raise_nofile(N + 200)
    s = server(extra_args=["--max-connections-per-address", "off"])
    # One request each way first: the steady state of a server in use.
    assert s.gopher_raw(b"/hello.txt\r\n") == b"hello, world\n"
    assert s.gemini("gemini://localhost/")[0] == "20 text/gemini"
    pid = s.server_pid()
    # Measured once the server has let both connections go.
    assert wait_until(lambda: connections_held(pid) == 0), \
        connections_held(pid)
    idle = s.rss_kb("VmRSS")
    held = []
    try:
        for i in range(N):
            port = s.gemini_port if i % 2 == 0 else s.gopher_port
            held.append(socket.create_connection(("127.0.0.1", port),
                                                 timeout=10))
        # Measured once the server has accepted every one.
        assert wait_until(lambda: connections_held(pid) >= N, 60), \
            connections_held(pid)
        full = s.rss_kb("VmRSS")
        # Still open, every one of them (none was dropped).
        for c in held[:50]:
            c.setblocking(False)
            with pytest.raises(BlockingIOError):
                c.recv(1)
    finally:
        for c in held:
            c.close()
    per = (full - idle) / N
    if not SANITIZED:
        # Measured 1.7 kB; 44 kB before TLS state waited for the handshake.
        assert per < 8, (idle, full, per)
    # Given back: under twice the idle size well within 30 s.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        after = s.rss_kb("VmRSS")
        if SANITIZED or after < 2 * idle:
            break
        time.sleep(0.5)
    if not SANITIZED:
        assert after < 2 * idle, (idle, full, after)
    # And it serves as before.
    assert s.gopher_raw(b"/hello.txt\r\n") == b"hello, world\n"
