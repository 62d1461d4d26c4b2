"""FastCGI: locations answered by a responder over TCP (a Python one of
the standard library, tests/integration/fcgi_responder.py), over a unix
socket (php-fpm, fcgiwrap from Debian's packages), in both protocols;
responders that misbehave; the sandbox's TCP rules."""
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import free_port, wait_port, wait_until

HERE = pathlib.Path(__file__).resolve().parent
RESPONDER = HERE / "fcgi_responder.py"
PHP_FPM = shutil.which("php-fpm8.2") or "/usr/sbin/php-fpm8.2"
FCGIWRAP = "/usr/sbin/fcgiwrap"


def spawn(args, **kw):
    return subprocess.Popen(args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, **kw)


def wait_socket(path, proc, timeout=30.0):
    """Once a unix socket at path accepts a connection."""
    def ready():
        assert proc.poll() is None, f"{proc.args[0]} exited"
        if not os.path.exists(path):
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(str(path))
                return True
            except OSError:
                return False
    assert wait_until(ready, timeout=timeout), f"no socket {path}"


@pytest.fixture
def processes():
    """Processes a test starts, stopped by their id at its end."""
    started = []
    yield started
    for p in started:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class App:
    """A capsule, the Python responder on TCP, and the configuration."""

    def __init__(self, tmp_path, processes):
        self.tmp = tmp_path
        self.capsule = tmp_path / "capsule"
        (self.capsule / "py" / "static").mkdir(parents=True)
        (self.capsule / "index.gmi").write_text("# Home\n")
        (self.capsule / "py" / "static" / "file.txt").write_text("a file\n")
        self.gemini = free_port()
        self.gopher = free_port()
        self.port = free_port()
        p = spawn([sys.executable, str(RESPONDER), "tcp", "127.0.0.1",
                   str(self.port)])
        processes.append(p)
        assert wait_port(self.port), "the responder did not start"

    def text(self, site_extra="", top_extra=""):
        return f"""listen "127.0.0.1"
gemini-port {self.gemini}
workers 2
{top_extra}
site "localhost" {{
    capsule "{self.capsule}"
    certs "{self.tmp / 'certs'}"
    lang none
    gopher-port {self.gopher}
    location "/py/static/*" {{ fastcgi off }}
    location "/py/*" {{
        fastcgi tcp "127.0.0.1" port {self.port}
        param APP_NAME "test app"
    }}
{site_extra}
}}
"""

    def url(self, path):
        return f"gemini://localhost:{self.gemini}{path}"


@pytest.fixture
def app(tmp_path, processes, conf_server):
    a = App(tmp_path, processes)
    a.server = conf_server(a.text(), gemini_port=a.gemini,
                           gopher_ports=[a.gopher])
    return a


def env_of(body):
    return dict(line.split("=", 1) for line in body.decode().splitlines())


def test_env_over_tcp(app):
    header, body, _ = app.server.gemini(app.url("/py/env?a%20b"))
    assert header == "20 text/gemini"
    env = env_of(body)
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["SERVER_PROTOCOL"] == "GEMINI"
    assert env["SERVER_NAME"] == "localhost"
    assert env["SERVER_PORT"] == str(app.gemini)
    assert env["SCRIPT_NAME"] == "/py/env"
    assert env["QUERY_STRING"] == "a%20b"
    assert env["GEMINI_URL"] == app.url("/py/env?a%20b")
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["TLS_VERSION"].startswith("TLSv1.")
    assert env["DOCUMENT_ROOT"] == str(app.capsule)
    assert env["APP_NAME"] == "test app"
    assert "HOME" not in env and "TERM" not in env


def test_hello_and_fastcgi_off(app):
    assert app.server.gemini(app.url("/py/hello"))[:2] == (
        "20 text/gemini", b"# Hello\n")
    # The narrower location, first, serves the capsule's file.
    assert app.server.gemini(app.url("/py/static/file.txt"))[:2] == (
        "20 text/plain; charset=utf-8", b"a file\n")
    # Outside: the capsule.
    assert app.server.gemini(app.url("/"))[:2] == (
        "20 text/gemini", b"# Home\n")


def test_gopher_menu(app):
    menu = app.server.gopher_raw(b"/py/menu\r\n")
    assert menu == (
        b"i# Menu\t\tlocalhost\t%d\r\n"
        b"iSome text.\t\tlocalhost\t%d\r\n"
        b"1Home\t/index.gmi\tlocalhost\t%d\r\n"
        b".\r\n" % (app.gopher, app.gopher, app.gopher)), menu
    env = app.server.gopher_raw(b"/py/env\tsome words\r\n")
    # A gemtext answer: each line an info item of the menu.
    assert b"iSERVER_PROTOCOL=GOPHER\t" in env
    assert b"iSEARCHREQUEST=some words\t" in env
    assert b"iSELECTOR=/py/env\t" in env
    assert b"iQUERY_STRING=some%20words\t" in env


@pytest.mark.parametrize("path,why", [
    ("/py/malformed", "a malformed record from the responder: a record "
     "of another version than 1"),
    ("/py/badlen", "a malformed record from the responder: an "
     "END_REQUEST whose length is not 8"),
    ("/py/close", "the responder closed the connection before END_REQUEST"),
    ("/py/overload", "the responder overloaded"),
])
def test_refusals(app, path, why):
    header, body, _ = app.server.gemini(app.url(path))
    assert (header, body) == ("42 The program failed", b""), (header, body)
    assert why in app.server.wait_log(why), app.server.log()


def test_bad_header(app):
    header, body, _ = app.server.gemini(app.url("/py/badheader"))
    assert header.startswith("42 ") and body == b""


def test_unreachable(tmp_path, processes, conf_server):
    a = App(tmp_path, processes)
    dead = free_port()
    s = conf_server(a.text(site_extra=f"""
    location "/dead/*" {{ fastcgi tcp "127.0.0.1" port {dead} }}
    location "/nosock/*" {{ fastcgi socket "{tmp_path}/none.sock" }}"""),
        gemini_port=a.gemini, gopher_ports=[a.gopher])
    assert s.gemini(a.url("/dead/x"))[:2] == ("42 The program failed", b"")
    assert "cannot reach the responder" in s.wait_log("Connection refused")
    assert s.gemini(a.url("/nosock/x"))[:2] == ("42 The program failed", b"")
    assert "No such file or directory" in s.wait_log(
        "No such file or directory")
    # Gopher: a type-3 line.
    line = s.gopher_raw(b"/dead/x\r\n", port=a.gopher)
    assert line.startswith(b"3"), line


def test_closed_after_body_began(app):
    data, notify = app.server.gemini_raw(
        app.url("/py/closebody").encode() + b"\r\n")
    # Dropped: what was sent before (or not yet) of the header and body,
    # without close_notify: the client can tell it was cut.
    assert b"20 text/plain\r\nfirst line\n".startswith(data), data
    assert notify is False
    log = app.server.wait_log("closed the connection before END_REQUEST")
    assert "the connection is closed" in log


def test_stderr_to_the_log(app):
    assert app.server.gemini(app.url("/py/stderr"))[:2] == (
        "20 text/plain", b"ok\n")
    log = app.server.wait_log("third, no end")
    prefix = f"localhost 127.0.0.1:{app.port}: stderr: "
    assert prefix + "first line" in log
    assert prefix + "second \\x1b[31mline" in log
    assert prefix + "third, no end" in log
    assert "\x1b" not in log


def test_stderr_flood_limited(app):
    """A site's standard error lines: five at once, then two a second,
    over all its requests; the count of those left out comes with the
    next line logged."""
    assert app.server.gemini(app.url("/py/flood"))[:2] == (
        "20 text/plain", b"flooded\n")
    log = app.server.wait_log("stderr: flood 4")
    # Five at once (a sixth if the 1000 lines took half a second).
    assert 5 <= log.count("stderr: flood ") <= 6, log
    # Once the pace allows, a line says how many were left out.
    assert wait_until(lambda: app.server.gemini(app.url("/py/stderr"))
                      and "lines not logged)" in app.server.log(),
                      timeout=10, interval=0.3)
    assert re.search(r"stderr: [^\n]* \(after (\d+) lines not logged\)",
                     app.server.log())
    n = int(re.search(r"\(after (\d+) lines not logged\)",
                      app.server.log()).group(1))
    # The flood's, and some of the stderr pages' while waiting.
    assert 994 <= n <= 995 + 60, n


def test_big_streamed_body(app):
    size = 48 * 1024 * 1024 + 17
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as raw:
        import ssl
        # A small window, fixed: the path to the client fills soon.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        raw.connect(("127.0.0.1", app.gemini))
        from conftest import client_context
        with client_context().wrap_socket(raw,
                                          server_hostname="localhost") as s:
            s.sendall(app.url(f"/py/big?{size}").encode() + b"\r\n")
            got = bytearray()
            # Slowly at first: the server holds back, memory stays flat.
            before = app.server.rss_kb("VmRSS")
            while len(got) < 256 * 1024:
                got += s.recv(16384)
            # The client stops reading: attache stops reading the
            # responder, whose bytes wait in attache's socket to it.
            # (A busy machine slows the responder: a generous bound.)
            seen = []
            assert wait_until(lambda: _held_back(app.port, seen),
                              timeout=60), (
                f"bytes unread from the responder, sampled: {seen[:20]} "
                f"... {seen[-10:]}; its sockets now: {_sockets_of(app.port)}"
                f"; attache's VmRSS {app.server.rss_kb('VmRSS')} kB (before "
                f"{before}); read by the client: {len(got)}; log: "
                f"{app.server.log()[-2000:]}")
            held = app.server.rss_kb("VmRSS")
            while True:
                try:
                    b = s.recv(1 << 20)
                except ssl.SSLEOFError:
                    break
                if not b:
                    break
                got += b
            after = app.server.rss_kb("VmRSS")
    header, _, body = bytes(got).partition(b"\r\n")
    assert header == b"20 application/octet-stream"
    assert len(body) == size
    assert body[:502] == bytes(i % 251 for i in range(502))
    assert body[-251:] == bytes((size - 251 + i) % 251 for i in range(251))
    app.server.assert_memory_flat(before, after)
    app.server.assert_memory_flat(before, held)


def _held_back(port, seen):
    """1 when bytes wait unread from port, the same number after a while:
    its reader has stopped (one that reads takes them at once).  How many
    is the kernel's business: a receive window that had not grown held
    the responder at 7,087 bytes in one run under load, so any number
    will do.  The readings go into seen."""
    a = _unread_from(port)
    time.sleep(0.2)
    b = _unread_from(port)
    seen.append((a, b))
    return a > 0 and b == a


def _sockets_of(port):
    """The loopback TCP sockets with port at either end: local, remote,
    state, tx_queue:rx_queue (for a failure's message)."""
    out = []
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        if port in (int(f[1].split(":")[1], 16), int(f[2].split(":")[1], 16)):
            out.append(" ".join(f[1:5]))
    return out


def _unread_from(port):
    """Bytes waiting unread in a loopback socket connected to port."""
    most = 0
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        if int(f[2].split(":")[1], 16) == port and f[3] == "01":
            most = max(most, int(f[4].split(":")[1], 16))
    return most


def test_stall_before_header(tmp_path, processes, conf_server):
    a = App(tmp_path, processes)
    s = conf_server(a.text(top_extra="cgi-timeout 2"), gemini_port=a.gemini,
                    gopher_ports=[a.gopher])
    t0 = time.monotonic()
    assert s.gemini(a.url("/py/stall"))[:2] == ("42 The program failed", b"")
    assert 1.5 < time.monotonic() - t0 < 6
    assert "no header from the responder within 2 s" in s.wait_log(
        "no header from the responder")
    # A stalled body: the connection closes.
    t0 = time.monotonic()
    data, notify = s.gemini_raw(a.url("/py/stallbody").encode() + b"\r\n")
    assert data == b"20 text/plain\r\nfirst line\n"
    # Without TLS close_notify: the client can tell the body was cut.
    assert notify is False
    assert 1.5 < time.monotonic() - t0 < 6
    assert "no output from the responder for 2 s" in s.wait_log(
        "no output from the responder")


def php_fpm(tmp_path, processes):
    """php-fpm in the foreground, as the test's user, on a unix socket in
    tmp_path; its socket's path."""
    if not os.path.exists(PHP_FPM):
        pytest.skip(f"{PHP_FPM} missing: make deps-test installs "
                    "php8.2-fpm")
    sock = tmp_path / "php.sock"
    root = os.geteuid() == 0
    conf = tmp_path / "php-fpm.conf"
    conf.write_text(f"""[global]
pid = {tmp_path}/php-fpm.pid
error_log = {tmp_path}/php-fpm.log
daemonize = no
[app]
{"user = root" if root else ""}
{"group = root" if root else ""}
listen = {sock}
pm = static
pm.max_children = 2
php_admin_flag[expose_php] = off
""")
    p = spawn([PHP_FPM, "-F", "-y", str(conf), *(["-R"] if root else [])])
    processes.append(p)
    wait_socket(sock, p)
    return sock


def test_php_fpm(tmp_path, processes, conf_server):
    """A PHP page writes a Gemini response; php-fpm puts its CGI headers
    ("Content-type: text/html...", then an empty line) before it, which
    attache drops."""
    sock = php_fpm(tmp_path, processes)
    page = tmp_path / "page.php"
    page.write_text("""<?php
if (getenv("QUERY_STRING") === "" || !isset($_SERVER["QUERY_STRING"])) {
    echo "10 Your name?\\r\\n";
    exit;
}
echo "20 text/gemini\\r\\n";
echo "# Hello, " . urldecode($_SERVER["QUERY_STRING"]) . "\\n";
echo "Served by " . $_SERVER["SERVER_SOFTWARE"] . " over " .
    $_SERVER["SERVER_PROTOCOL"] . "\\n";
""")
    # And docs/fastcgi.md's page, as written there.
    doc = (HERE.parents[1] / "docs" / "fastcgi.md").read_text()
    guide = tmp_path / "hello.php"
    guide.write_text(doc.split("```php\n", 1)[1].split("```", 1)[0])
    a = App(tmp_path, processes)
    s = conf_server(a.text(site_extra=f"""
    location "/php/*" {{
        fastcgi socket "{sock}"
        param SCRIPT_FILENAME "{page}"
    }}
    location "/hello.php" {{
        fastcgi socket "{sock}"
        param SCRIPT_FILENAME "{guide}"
    }}"""), gemini_port=a.gemini, gopher_ports=[a.gopher])
    assert s.gemini(a.url("/hello.php"))[:2] == ("10 Your name?", b"")
    assert s.gemini(a.url("/hello.php?Ada"))[:2] == (
        "20 text/gemini", b"# Hello, Ada\n")
    assert s.gemini(a.url("/php/hello"))[:2] == ("10 Your name?", b"")
    assert s.gemini(a.url("/php/hello?Ada%20L"))[:2] == (
        "20 text/gemini",
        b"# Hello, Ada L\nServed by attache/0.1.0 over GEMINI\n")
    # The same page to Gopher: a menu; a type-7 search is its query.
    menu = s.gopher_raw(b"/php/hello\tAda\r\n", port=a.gopher)
    assert menu == (b"i# Hello, Ada\t\tlocalhost\t%d\r\n"
                    b"iServed by attache/0.1.0 over GOPHER\t\tlocalhost\t%d"
                    b"\r\n.\r\n" % (a.gopher, a.gopher)), menu


def test_fcgiwrap(tmp_path, processes, conf_server):
    """fcgiwrap runs a CGI script; it reads what the script prints up to
    the first empty line as HTTP headers, and turns their LF line ends
    into CRLF.  A script that prints a CGI header and an empty line first
    gets its Gemini response through untouched (attache drops the block);
    one that starts with its Gemini header works too, with every LF up to
    its first empty line made CRLF."""
    if not os.path.exists(FCGIWRAP):
        pytest.skip(f"{FCGIWRAP} missing: make deps-test installs fcgiwrap")
    sock = tmp_path / "fcgiwrap.sock"
    # One process: with -c N it forks N, which outlive its SIGTERM.
    p = spawn([FCGIWRAP, "-s", f"unix:{sock}"])
    processes.append(p)
    wait_socket(sock, p)
    good = tmp_path / "good.sh"
    good.write_text("#!/bin/sh\n"
                    "printf 'Content-Type: text/gemini\\r\\n\\r\\n'\n"
                    "printf '20 text/gemini\\r\\n# From a shell\\n'\n"
                    "printf 'Over %s\\n' \"$SERVER_PROTOCOL\"\n")
    bare = tmp_path / "bare.sh"
    bare.write_text("#!/bin/sh\nprintf '20 text/plain\\r\\none\\ntwo\\n'\n")
    good.chmod(0o755)
    bare.chmod(0o755)
    a = App(tmp_path, processes)
    s = conf_server(a.text(site_extra=f"""
    location "/sh/good" {{
        fastcgi socket "{sock}"
        param SCRIPT_FILENAME "{good}"
    }}
    location "/sh/bare" {{
        fastcgi socket "{sock}"
        param SCRIPT_FILENAME "{bare}"
    }}"""), gemini_port=a.gemini, gopher_ports=[a.gopher])
    assert s.gemini(a.url("/sh/good"))[:2] == (
        "20 text/gemini",
        b"# From a shell\nOver GEMINI\n")
    assert s.gemini(a.url("/sh/bare"))[:2] == (
        "20 text/plain", b"one\r\ntwo\r\n")
    assert s.gopher_raw(b"/sh/good\r\n", port=a.gopher) == (
        b"i# From a shell\t\tlocalhost\t%d\r\n"
        b"iOver GOPHER\t\tlocalhost\t%d\r\n.\r\n" % (a.gopher, a.gopher))


def test_titan_to_the_responder(tmp_path, processes, conf_server):
    """A Titan upload under a responder's location: its body is the
    responder's standard input, in records of at most 65,535 bytes."""
    a = App(tmp_path, processes)
    s = conf_server(a.text(site_extra="    titan on\n    titan-operator "
                           f"\"sha256:{'0' * 64}\""),
                    gemini_port=a.gemini, gopher_ports=[a.gopher])
    body = bytes(i % 256 for i in range(200000))
    data, _ = s.gemini_raw(
        f"titan://localhost:{a.gemini}/py/echo;size={len(body)};"
        f"mime=application/octet-stream\r\n".encode() + body)
    assert data == (b"20 text/plain\r\nTITAN 200000 "
                    b"application/octet-stream\n" + body)
    # Outside the location: the capsule's own Titan, which wants an
    # operator.
    data, _ = s.gemini_raw(f"titan://localhost:{a.gemini}/x.txt;size=2"
                           "\r\nhi".encode())
    assert data.startswith(b"6"), data


def test_cgi_max(tmp_path, processes, conf_server):
    """cgi-max counts a site's FastCGI requests under way: past it, 44."""
    import threading
    a = App(tmp_path, processes)
    s = conf_server(a.text(top_extra="cgi-max 1\ncgi-timeout 3"),
                    gemini_port=a.gemini, gopher_ports=[a.gopher])
    first = {}
    t = threading.Thread(target=lambda: first.update(
        r=s.gemini(a.url("/py/stall"))[:2]))
    t.start()
    # Once the first is at the responder (its connection accepted).
    assert wait_until(lambda: _established_to(a.port), timeout=10)
    assert s.gemini(a.url("/py/hello"))[:2] == ("44 5", b"")
    assert "cgi-max (1) requests under way" in s.wait_log("cgi-max (1)")
    t.join()
    assert first["r"] == ("42 The program failed", b"")
    # And the slot is free again.
    assert s.gemini(a.url("/py/hello"))[:2] == ("20 text/gemini",
                                                b"# Hello\n")


def _established_to(port):
    """1 when a TCP connection to port on loopback is established."""
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        if f[3] == "01" and int(f[2].split(":")[1], 16) == port:
            return True
    return False


def test_reload_adds_a_port(tmp_path, processes, conf_server):
    """The server process may connect to its responders' TCP ports only
    (Landlock ABI 4); a reload that names another port starts a server
    process whose sandbox allows it."""
    a = App(tmp_path, processes)
    s = conf_server(a.text(), gemini_port=a.gemini, gopher_ports=[a.gopher])
    abi = _landlock_abi()
    if abi >= 4:
        assert (f"sandbox: TCP connections to port {a.port} only"
                in s.log())
    other = free_port()
    p = spawn([sys.executable, str(RESPONDER), "tcp", "127.0.0.1",
               str(other)])
    processes.append(p)
    assert wait_port(other)
    before = s.server_pid()
    line = s.reload(a.text(site_extra=f"""
    location "/other/*" {{ fastcgi tcp "127.0.0.1" port {other} }}"""))
    assert "reloaded" in line, line
    assert s.gemini(a.url("/other/hello"))[:2] == ("20 text/gemini",
                                                   b"# Hello\n")
    assert s.gemini(a.url("/py/hello"))[:2] == ("20 text/gemini",
                                                b"# Hello\n")
    if abi >= 4:
        assert wait_until(lambda: s.server_pid() != before)
        assert "sandbox: TCP connections to ports " in s.log()


def _landlock_abi():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    r = libc.syscall(444, None, 0, 1)   # landlock_create_ruleset, VERSION
    return r if r > 0 else 0


def test_the_guide_s_responder_works(tmp_path, processes, conf_server):
    """docs/fastcgi.md's Python responder, as written there, on a unix
    socket, in both protocols."""
    doc = (HERE.parents[1] / "docs" / "fastcgi.md").read_text()
    script = tmp_path / "notes.py"
    script.write_text(doc.split("```python\n", 1)[1].split("```", 1)[0])
    sock = tmp_path / "notes.sock"
    p = spawn([sys.executable, str(script), str(sock)])
    processes.append(p)
    wait_socket(sock, p)
    a = App(tmp_path, processes)
    s = conf_server(a.text(site_extra=f"""
    location "/hello" {{ fastcgi socket "{sock}" }}"""),
        gemini_port=a.gemini, gopher_ports=[a.gopher])
    assert s.gemini(a.url("/hello"))[:2] == ("10 Your name?", b"")
    assert s.gemini(a.url("/hello?Grace%20H"))[:2] == (
        "20 text/gemini", b"# Hello, Grace H\n\nAsked over GEMINI.\n")
    assert s.gopher_raw(b"/hello\tAda\r\n", port=a.gopher) == (
        b"i# Hello, Ada\t\tlocalhost\t%d\r\n"
        b"i\t\tlocalhost\t%d\r\n"
        b"iAsked over GOPHER.\t\tlocalhost\t%d\r\n.\r\n"
        % (a.gopher, a.gopher, a.gopher))


def test_check_lists_responders(tmp_path, processes):
    """--check lists each site's responders, and warns of a unix socket
    that is not there."""
    from conftest import BIN
    a = App(tmp_path, processes)
    conf = tmp_path / "check.conf"
    conf.write_text(a.text(site_extra=f"""
    location "/nosock/*" {{ fastcgi socket "{tmp_path}/none.sock" }}"""))
    p = subprocess.run([BIN, "--check", "-f", str(conf)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout + p.stderr
    assert (f"/py/*: FastCGI responder 127.0.0.1 port {a.port} of site "
            "localhost\n") in out
    assert (f"/nosock/*: FastCGI responder {tmp_path}/none.sock of site "
            "localhost\n") in out
    assert (f"{conf}:16: warning: fastcgi socket {tmp_path}/none.sock: No "
            "such file or directory (its requests get 42 until the "
            "responder listens there)\n") in out
    assert "0 errors, 1 warning\n" in out


def test_control_characters_never_reach_it(app):
    assert app.server.gemini(app.url("/py/env?a%0Ab"))[0] == "59 Bad request"
    assert app.server.gemini(app.url("/py/a%09b"))[0] == "59 Bad request"
    line = app.server.gopher_raw(b"/py/env\ta\x01b\r\n")
    assert line.startswith(b"3"), line


def test_reload_keeps_a_request_in_flight(app):
    """A request at the responder when a reload comes ends as it began:
    it holds its generation."""
    import threading
    got = {}
    t = threading.Thread(target=lambda: got.update(
        r=app.server.gemini(app.url("/py/slow"))[:2]))
    t.start()
    assert wait_until(lambda: _established_to(app.port), timeout=10)
    line = app.server.reload(app.text(site_extra="""
    location "/elsewhere/*" { gone }"""))
    assert "reloaded" in line, line
    t.join()
    assert got["r"] == ("20 text/gemini", b"# Slow\n")
    assert app.server.gemini(app.url("/elsewhere/x"))[0] == "52 Gone"
