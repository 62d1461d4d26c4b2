"""The daemon: a privileged process that keeps what reload needs, a server
process that serves as `user` with no capabilities inside Landlock; the
notify protocol; SIGTERM finishing what is in flight."""
import os
import signal
import socket
import stat
import subprocess

import pytest

from conftest import (BIN, client_context, connections_held, free_low_port,
                      free_port, quiescent, reachable_copy, root_items,
                      wait_until)
from sitekit import make_cert, peer_der, pem_der, write_tree

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0,
                               reason="needs root (CI runs as root)")


@pytest.fixture
def public_dir(reachable_tmp):
    """A directory the user nobody can read (pytest's tmp_path is root's
    alone)."""
    return reachable_tmp


LEASE_ONLY = f"{1 << 28:016x}"      # CAP_LEASE, bit 28


def status_fields(pid):
    """Uid, Gid, Groups and CapEff of every thread of pid."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        fields = {}
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields[key] = value.split()
        out.append(fields)
    return out


def nobody_ids():
    import pwd
    pw = pwd.getpwnam("nobody")
    return str(pw.pw_uid), str(pw.pw_gid)


@ROOT_ONLY
def test_serves_as_nobody_with_no_capability_but_lease(public_dir, conf_server):
    cap = public_dir / "capsule"
    write_tree(cap, {"index.gmi": "# Public\n", "a.txt": "a\n"})
    for p in [cap, *cap.iterdir()]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    certs = public_dir / "certs"
    gopher, gemini = free_low_port(), free_port()
    s = conf_server(f"""user "nobody"
listen "127.0.0.1"
gemini-port {gemini}
site "localhost" {{ capsule "{cap}" certs "{certs}" gopher-port {gopher} }}
""", gemini_port=gemini, gopher_ports=[gopher])
    # The key is root's alone: the server process never reads it.
    key = certs / "localhost.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.stat().st_uid == 0
    assert s.gopher_raw(b"/a.txt\r\n", port=gopher) == b"a\n"
    assert s.gemini(f"gemini://localhost:{gemini}/")[:2] == (
        "20 text/gemini; lang=en", b"# Public\n")
    uid, gid = nobody_ids()
    threads = status_fields(s.server_pid())
    assert len(threads) >= 3     # main thread and the workers
    for t in threads:
        assert t["Uid"] == [uid] * 4, t["Uid"]
        assert t["Gid"] == [gid] * 4, t["Gid"]
        assert t["Groups"] == [], t["Groups"]
        # CAP_LEASE alone: read leases on root's files being served.
        assert t["CapEff"] == [LEASE_ONLY], t["CapEff"]
        assert t["CapPrm"] == [LEASE_ONLY], t["CapPrm"]
        assert t["CapInh"] == ["0000000000000000"], t["CapInh"]
        assert t["CapAmb"] == ["0000000000000000"], t["CapAmb"]
        assert t["NoNewPrivs"] == ["1"]
    # The privileged process keeps root, to read keys and bind on reload.
    assert status_fields(s.proc.pid)[0]["Uid"][0] == "0"


@ROOT_ONLY
def test_reload_after_the_drop(public_dir, conf_server):
    """A renewed root-only certificate and a new port below 1024 are taken
    by a reload of a server that serves as nobody."""
    cap = public_dir / "capsule"
    write_tree(cap, {"index.gmi": "# Public\n"})
    os.chmod(cap, 0o755)
    os.chmod(cap / "index.gmi", 0o644)
    certs = public_dir / "certs"
    gemini, gopher, gopher2 = free_port(), free_low_port(), None
    text = f"""user "nobody"
listen "127.0.0.1"
gemini-port {gemini}
site "localhost" {{ capsule "{cap}" certs "{certs}" gopher-port {{}} }}
"""
    s = conf_server(text.replace("{}", str(gopher)), gemini_port=gemini,
                    gopher_ports=[gopher])
    old = peer_der(gemini, "localhost")
    crt, key = make_cert(public_dir / "renew", "localhost")
    os.chmod(key, 0o600)
    os.chmod(crt, 0o600)
    os.replace(key, certs / "localhost.key")
    os.replace(crt, certs / "localhost.crt")
    # Another free port below 1024.
    for port in range(gopher + 1, 1024):
        with socket.socket() as t:
            try:
                t.bind(("127.0.0.1", port))
                gopher2 = port
                break
            except OSError:
                continue
    assert gopher2 is not None
    line = s.reload(text.replace("{}", str(gopher2)))
    assert "reloaded: 1 sites" in line, line
    new = peer_der(gemini, "localhost")
    assert new != old and new == pem_der(certs / "localhost.crt")
    assert s.gopher_raw(b"/\r\n", port=gopher2) == (
        f"i# Public\t\tlocalhost\t{gopher2}\r\n".encode()
        + root_items(gopher2) + b".\r\n")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", gopher), timeout=5)
    uid, _ = nobody_ids()
    for t in status_fields(s.server_pid()):
        assert t["Uid"] == [uid] * 4
        assert t["CapEff"] == [LEASE_ONLY]


def run(*args, binary=BIN, preexec_fn=None):
    r = subprocess.run([binary, *args], capture_output=True, timeout=30,
                       preexec_fn=preexec_fn)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


@ROOT_ONLY
def test_user_needs_root_and_an_existing_user(public_dir):
    cap = public_dir / "capsule"
    write_tree(cap, {"index.gmi": "# Public\n"})
    os.chmod(cap, 0o755)
    uid, gid = nobody_ids()

    def as_nobody():
        os.setgid(int(gid))
        os.setuid(int(uid))

    args = ["--capsule", str(cap), "--certs", str(public_dir / "certs"),
            "--gemini-port", "0", "--gopher-port", str(free_port()),
            "--listen", "127.0.0.1"]
    # nobody runs a copy: the checkout may be where nobody can enter.
    binary = reachable_copy(BIN, public_dir / "bin/attache")
    assert run(*args, "--user", "nobody", binary=binary,
               preexec_fn=as_nobody) == (
        1, "", "attache: user nobody: attache must be started as root to "
        "serve as another user\n")
    assert run(*args, "--user", "no-such-user-here") == (
        1, "", "attache: user no-such-user-here: no such user\n")
    assert run(*args, "--user", "a/b")[0::2] == (
        1, 'attache: --user: invalid value "a/b"\n')


def test_the_server_process_is_confined(tmp_path, conf_server):
    """Landlock: inside the server process nothing outside the capsules
    can be opened, whoever runs it; symlinks inside keep working."""
    cap = tmp_path / "capsule"
    write_tree(cap, {"index.gmi": "# Home\n", "a.txt": "a\n"})
    (cap / "link.txt").symlink_to("a.txt")
    port = free_port()
    s = conf_server(f'listen "127.0.0.1"\ngemini-port 0\n'
                    f'site "localhost" {{ capsule "{cap}" '
                    f'gopher-port {port} }}\n', gopher_ports=[port])
    assert s.gopher_raw(b"/link.txt\r\n", port=port) == b"a\n"
    pid = s.server_pid()
    with open(f"/proc/{pid}/status") as f:
        assert "NoNewPrivs:\t1" in f.read()
    # Landlock is there (the unit test test_sandbox shows what it denies).
    assert "not confined" not in s.log()
    # It holds no file but its capsule, sockets, pipes and the log: looked
    # at once it is idle (capsule indexed, the connection above closed),
    # not while it reads a page or closes a socket.
    assert ": indexed " in s.wait_log(": indexed ")
    assert wait_until(lambda: connections_held(pid) == 0 and quiescent(pid))
    for fd in os.listdir(f"/proc/{pid}/fd"):
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
        assert (target.startswith(("socket:", "pipe:", "anon_inode:",
                                   "/dev/null", "/dev/pts"))
                or target == str(cap) or target.endswith(".log")), target


def test_notify_protocol(tmp_path, server):
    sock_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(sock_path))
    notify.settimeout(20)
    os.environ["NOTIFY_SOCKET"] = str(sock_path)
    try:
        s = server()
    finally:
        del os.environ["NOTIFY_SOCKET"]
    assert notify.recv(4096) == b"READY=1"
    s.proc.send_signal(signal.SIGHUP)
    msg = notify.recv(4096)
    assert msg.startswith(b"RELOADING=1\nMONOTONIC_USEC="), msg
    assert int(msg.split(b"=")[-1]) > 0
    assert notify.recv(4096) == b"READY=1"
    assert "reloaded: 1 sites" in s.wait_log("reloaded:")
    s.proc.send_signal(signal.SIGTERM)
    assert notify.recv(4096) == b"STOPPING=1"
    assert s.proc.wait(timeout=20) == 0
    notify.close()


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        return int([l for l in f if l.startswith("Threads:")][0].split()[1])


def test_sigterm_finishes_a_download_in_flight(tmp_path, server):
    cap = tmp_path / "capsule"
    write_tree(cap, {"index.gmi": "# Home\n"})
    big = os.urandom(16 * 1024 * 1024)
    (cap / "big.bin").write_bytes(big)
    # Two workers: the one without a connection ends once told to stop.
    s = server(capsule=cap, extra_args=["--workers", "2"])
    raw = socket.create_connection(("127.0.0.1", s.gemini_port), timeout=30)
    c = client_context().wrap_socket(raw, server_hostname="localhost")
    c.sendall(f"gemini://localhost:{s.gemini_port}/big.bin\r\n".encode())
    got = bytearray(c.recv(65536))
    pid = s.server_pid()
    before = threads(pid)
    s.proc.send_signal(signal.SIGTERM)
    s.wait_log("signal 15: stopping")
    # The server stops accepting (its idle worker is gone) while far more
    # than the socket buffers hold is still to come.
    assert wait_until(lambda: threads(pid) < before), (before, s.log())
    # The download in flight goes on to its end.
    while True:
        b = c.recv(65536)
        if not b:
            break
        got += b
    c.close()
    assert bytes(got) == b"20 application/octet-stream\r\n" + big
    assert s.proc.wait(timeout=20) == 0
    assert "signal 15: stopping" in s.log()
