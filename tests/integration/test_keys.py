"""Private keys live in the key process alone: the server process, which
parses every client's bytes, holds certificates and signs through a
socket to the key process; its memory has no key, the key process's has.
A reload hands new keys over with their certificates, and a handshake
begun under the old generation still ends with the old key; the key
process, killed, is started again and the same server signs with it.
Session tickets are sealed with keys that rotate."""
import os
import re
import signal
import socket
import ssl
import subprocess
import time

import pytest

from conftest import (SANITIZED, accepted, client_context, free_port,
                      key_pid, serving_pid, wait_until)
from sitekit import make_cert, pem_der, write_tree

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0,
                               reason="reads other processes' memory")


def key_secrets(path):
    """What of a private key may sit in memory: its DER form, a line of
    its PEM text, and its secret numbers (the EC scalar; RSA's primes and
    private exponent) as big-endian bytes and as OpenSSL's BIGNUM words
    hold them (little-endian)."""
    pem = path.read_text()
    body = [l for l in pem.splitlines() if l and not l.startswith("-----")]
    der = subprocess.run(["openssl", "pkey", "-in", str(path), "-outform",
                          "DER"], check=True, capture_output=True).stdout
    text = subprocess.run(["openssl", "pkey", "-in", str(path), "-noout",
                           "-text"], check=True, capture_output=True,
                          text=True).stdout
    numbers = []
    for name in ("priv", "privateExponent", "prime1", "prime2"):
        m = re.search(rf"^{name}:\n((?:\s+[0-9a-f:]+\n)+)", text, re.M)
        if m:
            value = bytes.fromhex(re.sub(r"[\s:]", "", m[1])).lstrip(b"\0")
            numbers += [value, value[::-1]]
    assert numbers, text
    return {"der": der, "pem": body[1].encode(), "numbers": numbers}


def memory_holds(pid, needles):
    """Which of needles are somewhere in pid's readable memory (through
    /proc/PID/mem: root reads any process's).  Mappings over 1 GiB (the
    sanitizers' shadow, reserved and untouched) are passed over."""
    longest = max(len(n) for n in needles)
    found = set()
    fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    try:
        with open(f"/proc/{pid}/maps") as f:
            maps = f.read().splitlines()
        for line in maps:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            if fields[1][0] != "r" or hi - lo > 1 << 30:
                continue
            off, tail = lo, b""
            while off < hi:
                try:
                    chunk = os.pread(fd, min(8 << 20, hi - off), off)
                except OSError:
                    break
                if not chunk:
                    break
                buf = tail + chunk
                found |= {n for n in needles if n in buf}
                tail = buf[-longest:]
                off += len(chunk)
    finally:
        os.close(fd)
    return found


def rsa_pair(certs, name):
    """An RSA 2048 pair, its certificate file holding the key too (as some
    operators keep one file): the server process must not get it."""
    certs.mkdir(parents=True, exist_ok=True)
    key, crt = certs / f"{name}.key", certs / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", str(key), "-out", str(crt),
                    "-days", "30", "-subj", f"/CN={name}"], check=True,
                   capture_output=True)
    der = pem_der(crt)
    crt.write_text(crt.read_text() + key.read_text())
    return der


def fetch(port, sni, version=None):
    ctx = client_context()
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    raw = socket.create_connection(("127.0.0.1", port), timeout=15)
    with ctx.wrap_socket(raw, server_hostname=sni) as s:
        s.sendall(f"gemini://{sni}:{port}/\r\n".encode())
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        return data, s.getpeercert(binary_form=True)


@pytest.fixture
def two_keys(tmp_path, conf_server):
    """A generated P-256 pair and an RSA 2048 one in a combined file."""
    cap = tmp_path / "capsule"
    write_tree(cap, {"index.gmi": "# Home\n"})
    certs = tmp_path / "certs"
    rsa_der = rsa_pair(certs, "rsa.test")
    gemini = free_port()
    s = conf_server(f"""listen "127.0.0.1"
gemini-port {gemini}
site "localhost" {{ capsule "{cap}" certs "{certs}" gopher-port 0 }}
site "rsa.test" {{ capsule "{cap}" certs "{certs}" gopher-port 0 }}
""", gemini_port=gemini)
    s.certs = certs
    s.ders = {"localhost": pem_der(certs / "localhost.crt"),
              "rsa.test": rsa_der}
    return s


@ROOT_ONLY
def test_no_private_key_in_the_server_process(two_keys):
    s = two_keys
    g = s.gemini_port
    # Both sign, over both versions: the key process answers.
    for name in ("localhost", "rsa.test"):
        for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            data, der = fetch(g, name, v)
            assert data.startswith(b"20 text/gemini"), data
            assert der == s.ders[name]
    secrets = {}
    for name in ("localhost", "rsa.test"):
        for kind, v in key_secrets(s.certs / f"{name}.key").items():
            for n in v if kind == "numbers" else [v]:
                secrets[n] = (name, kind)
    server = serving_pid(s.proc.pid)
    keys = key_pid(s.proc.pid)
    assert server and keys and server != keys
    leaked = memory_holds(server, list(secrets))
    assert not leaked, sorted(secrets[n] for n in leaked)
    held = memory_holds(keys, list(secrets))
    assert {secrets[n] for n in held} >= {("localhost", "numbers"),
                                          ("rsa.test", "numbers")}, held
    # The key process: another process name, no dump, no file, same user.
    with open(f"/proc/{keys}/status") as f:
        status = f.read()
    assert "NoNewPrivs:\t1" in status
    fds = os.listdir(f"/proc/{keys}/fd")
    assert all(os.readlink(f"/proc/{keys}/fd/{fd}").startswith(
        ("socket:", "/dev/null", "/dev/pts", "pipe:")) or int(fd) <= 2
        for fd in fds), fds


def handshake_begun(port):
    """A connection the server process has accepted, its ClientHello not
    sent yet: it belongs to the generation serving now."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=15)
    assert wait_until(lambda: accepted([raw]))
    return raw


def test_handshake_under_the_old_generation_ends_with_the_old_key(
        tmp_path, conf_server):
    """Accepted before a reload that renews the key, the connection's
    handshake runs after it: it shows the old certificate, signed by the
    old key, which the key process still holds."""
    cap = tmp_path / "capsule"
    write_tree(cap, {"index.gmi": "# Home\n"})
    certs = tmp_path / "certs"
    make_cert(certs, "localhost")
    gemini = free_port()
    text = f"""listen "127.0.0.1"
gemini-port {gemini}
site "localhost" {{ capsule "{cap}" certs "{certs}" gopher-port 0 }}
"""
    s = conf_server(text, gemini_port=gemini)
    old = pem_der(certs / "localhost.crt")
    raw = handshake_begun(gemini)
    crt, key = make_cert(tmp_path / "renew", "localhost")
    os.replace(key, certs / "localhost.key")
    os.replace(crt, certs / "localhost.crt")
    new = pem_der(certs / "localhost.crt")
    assert "reloaded: 1 sites" in s.reload()
    with client_context().wrap_socket(raw, server_hostname="localhost") as c:
        assert c.getpeercert(binary_form=True) == old
        c.sendall(f"gemini://localhost:{gemini}/\r\n".encode())
        assert c.recv(64).startswith(b"20 text/gemini")
    # Connections after the reload: the new pair.
    assert fetch(gemini, "localhost")[1] == new


def test_the_key_process_dies_and_comes_back(tmp_path, server):
    """Killed, the key process is started again by the privileged process:
    while it is gone handshakes fail, and the log says why; then the same
    server process signs with the new one."""
    s = server(gopher=False)
    g = s.gemini_port
    url = f"gemini://localhost:{g}/"
    assert s.gemini(url)[0].startswith("20 ")
    srv, keys = s.server_pid(), key_pid(s.proc.pid)
    # The privileged process held still: no restart comes meanwhile.
    os.kill(s.proc.pid, signal.SIGSTOP)
    try:
        os.kill(keys, signal.SIGKILL)
        assert wait_until(lambda: not os.listdir(f"/proc/{keys}/fd"))
        with pytest.raises((ssl.SSLError, ConnectionError)):
            s.gemini(url)
        assert "TLS handshake failed: the key process is not reachable" in \
            s.wait_log("the key process is not reachable")
    finally:
        os.kill(s.proc.pid, signal.SIGCONT)
    log = s.wait_log("TLS handshakes are signed again")
    assert re.search(rf"key process {keys} killed by signal 9: TLS "
                     r"handshakes fail until another one runs", log), log
    assert s.gemini(url)[0].startswith("20 ")
    assert s.server_pid() == srv
    assert key_pid(s.proc.pid) not in (None, keys)


def test_a_hung_key_process_costs_a_worker_one_wait(tmp_path, conf_server):
    """Stopped (alive, silent), the key process makes one handshake per
    worker wait 2 s and fail (parked: the worker serves the others
    meanwhile); the next ones fail at once, the log says why; continued,
    it answers the requests it held, and the workers sign again."""
    cap = tmp_path / "capsule"
    write_tree(cap, {"index.gmi": "# Home\n"})
    g = free_port()
    s = conf_server(f"""listen "127.0.0.1"
gemini-port {g}
workers 2
site "localhost" {{ capsule "{cap}" certs "{tmp_path / 'certs'}" gopher-port 0 }}
""", gemini_port=g)
    url = f"gemini://localhost:{g}/"
    assert s.gemini(url)[0].startswith("20 ")
    keys = key_pid(s.proc.pid)
    os.kill(keys, signal.SIGSTOP)
    took = []
    try:
        for i in range(6):
            t0 = time.monotonic()
            try:
                got = s.gemini(url)
                pytest.fail(f"attempt {i}: {got!r}, the key process "
                            f"stopped: {s.log()}")
            except (ssl.SSLError, ConnectionError):
                pass
            took.append(time.monotonic() - t0)
    finally:
        os.kill(keys, signal.SIGCONT)
    # At most one wait per worker; the others fail at once.
    assert sum(t >= 1.5 for t in took) <= 2, took
    assert sum(t < 1.5 for t in took) >= 4, took
    assert "TLS handshake failed: the key process did not answer in time" \
        in s.log()
    def signs():
        try:
            return s.gemini(url)[0].startswith("20 ")
        except (ssl.SSLError, ConnectionError):
            return False
    # Each worker drops its stall once it reads the late answer.
    for _ in range(4):
        assert wait_until(signs), s.log()
    assert key_pid(s.proc.pid) == keys


def test_a_ticket_from_before_two_rotations_does_not_resume(tmp_path,
                                                             server):
    """Session tickets are sealed with keys the server process makes and
    rotates (every hour; here every 1.5 s, 4 s under the sanitizers): a
    ticket resumes after one rotation, not after two."""
    period = 4000 if SANITIZED else 1500
    os.environ["ATTACHE_TEST_TICKET_ROTATE_MS"] = str(period)
    try:
        s = server(gopher=False)
    finally:
        del os.environ["ATTACHE_TEST_TICKET_ROTATE_MS"]
    g = s.gemini_port
    ctx = client_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3

    def rotations():
        return s.log().count("attache info: session ticket keys rotated")

    def fetch_with(session=None):
        raw = socket.create_connection(("127.0.0.1", g), timeout=15)
        with ctx.wrap_socket(raw, server_hostname="localhost",
                             session=session) as c:
            c.sendall(f"gemini://localhost:{g}/\r\n".encode())
            while c.recv(4096):
                pass
            return c.session, c.session_reused

    def after(n):
        assert wait_until(lambda: rotations() >= n), s.log()

    for _ in range(3):
        n0 = rotations()
        ticket, _ = fetch_with()
        # Sealed under the key of rotation n0 (a rotation meanwhile: again).
        if rotations() != n0:
            continue
        assert fetch_with(ticket)[1]
        after(n0 + 1)
        before, (_, resumed) = rotations(), fetch_with(ticket)
        if not before == rotations() == n0 + 1:
            continue
        assert resumed, "one rotation later, the ticket still resumes"
        after(n0 + 2)
        assert not fetch_with(ticket)[1], "two rotations later, it does not"
        return
    pytest.fail("the rotations came too fast to test: " + s.log())
