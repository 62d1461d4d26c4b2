"""The command line, start-up failures and the certificate on first start."""
import os
import re
import shutil
import socket
import subprocess

import pytest

from conftest import (BIN, client_context, free_port, listening_descriptors,
                      make_capsule, serving_pid)


def run(*args, timeout=20):
    return subprocess.run([BIN, *args], capture_output=True, timeout=timeout)


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0
    out = r.stdout.decode()
    for opt in ["--capsule DIR", "--certs DIR", "--hostname NAME",
                "--listen ADDR", "--gemini-port N", "--gopher-port N",
                "--gopher-public-port N", "--gopher-width N", "--lang TAG",
                "--check", "--help", "--version"]:
        assert opt in out, opt
    r = run("--version")
    assert r.returncode == 0
    assert re.fullmatch(rb"attache \d+\.\d+\.\d+\n", r.stdout)


@pytest.mark.parametrize("args,message", [
    (["--gemini-port", "x"], b'attache: --gemini-port: invalid value "x"\n'),
    (["--gemini-port", "65536"], b'attache: --gemini-port: invalid value "65536"\n'),
    (["--gemini-port", "-1"], b'attache: --gemini-port: invalid value "-1"\n'),
    (["--gopher-port", "7x"], b'attache: --gopher-port: invalid value "7x"\n'),
    (["--gopher-port", ""], b'attache: --gopher-port: invalid value ""\n'),
    (["--gopher-public-port", "0"], b'attache: --gopher-public-port: invalid value "0"\n'),
    (["--gopher-width", "5"], b'attache: --gopher-width: invalid value "5"\n'),
    (["--listen", "localhost"], b'attache: --listen: invalid value "localhost"\n'),
    (["--listen", "300.1.1.1"], b'attache: --listen: invalid value "300.1.1.1"\n'),
    (["--hostname", "a/b"], b'attache: --hostname: invalid value "a/b"\n'),
    (["--hostname", "../x"], b'attache: --hostname: invalid value "../x"\n'),
    (["--hostname", ""], b'attache: --hostname: invalid value ""\n'),
    (["--lang", "en US"], b'attache: --lang: invalid value "en US"\n'),
    (["--bogus"], b"attache: --bogus: unknown option (see --help)\n"),
    (["--capsule"], b"attache: --capsule: needs a value\n"),
    (["extra"], b"attache: extra: unexpected argument (see --help)\n"),
    (["--gemini-port", "0", "--gopher-port", "0"],
     b"attache: --gemini-port and --gopher-port are both 0: nothing to serve\n"),
    (["--gemini-port", "7000", "--gopher-port", "7000"],
     b"attache: --gemini-port and --gopher-port are both 7000\n"),
])
def test_bad_options_are_refused_by_name(args, message):
    r = run(*args)
    assert r.returncode == 1
    assert r.stderr == message
    assert r.stdout == b""


def test_missing_capsule(tmp_path):
    r = run("--capsule", str(tmp_path / "nope"), "--certs",
            str(tmp_path / "certs"), "--gemini-port", str(free_port()),
            "--gopher-port", "0", "--listen", "127.0.0.1")
    assert r.returncode == 1
    assert r.stderr.decode().endswith(
        f"attache: capsule {tmp_path}/nope: No such file or directory\n")


def test_port_in_use(tmp_path):
    cap = make_capsule(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = run("--capsule", str(cap), "--certs", str(tmp_path / "certs"),
                "--gemini-port", "0", "--gopher-port", str(port),
                "--listen", "127.0.0.1")
    assert r.returncode == 1
    assert r.stderr == (f"attache: 127.0.0.1 port {port} (gopher): "
                        "Address already in use\n").encode()


def test_certs_inside_capsule_refused(tmp_path):
    cap = make_capsule(tmp_path)
    r = run("--capsule", str(cap), "--certs", str(cap / "certs"),
            "--gemini-port", str(free_port()), "--gopher-port", "0",
            "--listen", "127.0.0.1")
    assert r.returncode == 1
    assert b"certificate directory is inside the capsule" in r.stderr
    assert not (cap / "certs").exists()


def fingerprint(port):
    ctx = client_context()
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            der = s.getpeercert(binary_form=True)
            s.sendall(b"gemini://localhost/\r\n")
    import hashlib
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def test_certificate_generated_then_reused(server, tmp_path):
    certs = tmp_path / "certs"
    s1 = server(gopher=False)
    crt, key = certs / "localhost.crt", certs / "localhost.key"
    assert crt.exists() and key.exists()
    assert (key.stat().st_mode & 0o777) == 0o600
    fp1 = fingerprint(s1.gemini_port)
    assert f"generated certificate {crt}, SHA-256 fingerprint {fp1}" in \
        s1.wait_log("generated certificate")
    crt_bytes, key_bytes = crt.read_bytes(), key.read_bytes()
    assert s1.stop() == 0
    s2 = server(gopher=False, capsule=s1.capsule)
    assert fingerprint(s2.gemini_port) == fp1
    # Logged once the workers run, maybe after the handshake above.
    assert f"loaded certificate {crt}, SHA-256 fingerprint {fp1}" in \
        s2.wait_log("loaded certificate")
    assert crt.read_bytes() == crt_bytes and key.read_bytes() == key_bytes
    # The certificate names the host and is ECDSA P-256.
    text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", str(crt)],
                          capture_output=True, check=True).stdout.decode()
    assert "Subject: CN = localhost" in text
    assert "DNS:localhost" in text
    assert "prime256v1" in text or "P-256" in text


def start_fails(tmp_path, certs):
    cap = tmp_path / "capsule"
    if not cap.exists():
        make_capsule(tmp_path)
    return run("--capsule", str(cap), "--certs", str(certs), "--gemini-port",
               str(free_port()), "--gopher-port", "0", "--listen", "127.0.0.1")


def test_mismatched_key_refused(tmp_path, server):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        s = server(certs=d, gopher=False, capsule=(tmp_path / "capsule")
                   if (tmp_path / "capsule").exists() else None)
        s.stop()
    shutil.copy(b / "localhost.key", a / "localhost.key")
    before = (a / "localhost.crt").read_bytes(), (a / "localhost.key").read_bytes()
    r = start_fails(tmp_path, a)
    assert r.returncode == 1
    assert b"does not match" in r.stderr
    assert r.stderr.count(b"\n") == 1
    assert ((a / "localhost.crt").read_bytes(),
            (a / "localhost.key").read_bytes()) == before


@pytest.mark.parametrize("present", ["crt", "key"])
def test_one_file_of_the_pair_refused(tmp_path, server, present):
    s = server(gopher=False)
    s.stop()
    certs = tmp_path / "certs"
    other = "key" if present == "crt" else "crt"
    (certs / f"localhost.{other}").unlink()
    kept = (certs / f"localhost.{present}").read_bytes()
    r = start_fails(tmp_path, certs)
    assert r.returncode == 1
    assert f"localhost.{other} is missing".encode() in r.stderr
    assert not (certs / f"localhost.{other}").exists()
    assert (certs / f"localhost.{present}").read_bytes() == kept


def test_unreadable_certificate_refused(tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "localhost.crt").write_text("not a certificate\n")
    (certs / "localhost.key").write_text("not a key\n")
    r = start_fails(tmp_path, certs)
    assert r.returncode == 1
    assert str(certs / "localhost.crt").encode() in r.stderr
    assert r.stderr.count(b"\n") == 1


def test_gemini_off_leaves_gopher(server):
    s = server(gemini=False)
    assert not (s.certs / "localhost.crt").exists()
    assert "gemini://" not in s.wait_log("workers")
    assert f"gopher://localhost:{s.gopher_port}/" in s.wait_log("gopher://")


def test_stops_cleanly_on_sigint(server):
    import signal
    s = server()
    s.proc.send_signal(signal.SIGINT)
    assert s.proc.wait(timeout=10) == 0
    assert "signal 2: stopping" in s.log()


def test_out_of_file_descriptors_pauses_and_recovers(tmp_path):
    """accept() failing with EMFILE must not spin or kill the server.
    max-connections (by default below what the open files allow) is set
    above the limit here, so that accept() does fail.  Every wait is for
    the log: each failure logs a line and pauses that worker's listener
    100 ms."""
    import resource
    import time
    import subprocess as sp
    from conftest import wait_port

    cap = make_capsule(tmp_path)
    port = free_port()
    logpath = tmp_path / "log"
    pause = f"127.0.0.1 port {port}: accept: Too many open files; " \
        "pausing 100 ms"

    def few_fds():
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))

    def log():
        return logpath.read_text(errors="replace")

    def wait_log(text, n=1, timeout=60.0):
        """How many times the log holds text, once n (or at the timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            count = log().count(text)
            if count >= n or time.monotonic() > deadline:
                return count
            time.sleep(0.01)

    def cpu_ticks():
        with open(f"/proc/{serving_pid(proc.pid)}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    logfile = open(logpath, "wb")
    proc = sp.Popen([BIN, "--capsule", str(cap), "--certs",
                     str(tmp_path / "certs"), "--gemini-port", "0",
                     "--gopher-port", str(port), "--listen", "127.0.0.1",
                     "--max-connections", "100",
                     "--max-connections-per-address", "off"],
                    stdout=logfile, stderr=sp.STDOUT, preexec_fn=few_fds)
    try:
        assert wait_port(port)
        assert wait_log("SIGHUP reloads") == 1, log()
        workers = int(re.search(r"attache info: (\d+) workers?;",
                                log()).group(1))
        held = []
        for _ in range(60):
            held.append(socket.create_connection(("127.0.0.1", port)))
        first = wait_log(pause)
        assert first >= 1, log()
        # Ten pauses of each worker: about a second of the server's time,
        # and at least 0.9 s for the one that logged ten of them (timers
        # never fire early).  A listener that spun instead of pausing
        # would log them at once, or burn the CPU without a line.
        ticks_before, t0 = cpu_ticks(), time.monotonic()
        assert wait_log(pause, first + 10 * workers) >= first + 10 * workers
        ticks_after, elapsed = cpu_ticks(), time.monotonic() - t0
        assert elapsed >= 0.5, (elapsed, log())
        # Paused, not spinning: well under half a CPU-second a second.
        assert ticks_after - ticks_before < \
            elapsed * os.sysconf("SC_CLK_TCK") / 2
        for s in held:
            s.close()
        # Waits in the backlog until the server has descriptors again.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"/hello.txt\r\n")
            got = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                got += b
        assert got == b"hello, world\n"
        assert proc.poll() is None
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
        logfile.close()


def test_workers_share_the_ports(server):
    s = server(extra_args=["--workers", "3"])
    # The ports answer as soon as they are bound, before the threads start;
    # this line is logged once every worker thread exists.
    assert "3 workers; Ctrl-C or SIGTERM stops" in s.wait_log("workers")
    with open(f"/proc/{s.server_pid()}/status") as f:
        threads = [l for l in f if l.startswith("Threads:")][0]
    # 3 workers + main + the capsule service's indexer.
    assert threads.split() == ["Threads:", "5"]
    for _ in range(20):
        assert s.gopher_raw(b"/hello.txt\r\n") == b"hello, world\n"
        h, _, _ = s.gemini("gemini://localhost/")
        assert h == "20 text/gemini"
    # One accept queue per port, shared: one socket, a descriptor of it
    # for each worker (whichever is free takes the next connection).
    for port in (s.gopher_port, s.gemini_port):
        held = listening_descriptors(s.server_pid(), port)
        assert len(set(held)) == 1 and len(held) == 3, held



def test_second_instance_on_same_port_is_refused(server, tmp_path):
    s = server()
    r = run("--capsule", str(s.capsule), "--certs", str(s.certs),
            "--gemini-port", str(s.gemini_port), "--gopher-port", "0",
            "--listen", "127.0.0.1")
    assert r.returncode == 1
    assert r.stderr == (f"attache: 127.0.0.1 port {s.gemini_port} (gemini): "
                        "Address already in use\n").encode()
