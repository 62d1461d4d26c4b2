"""Logs: a file rotated with SIGUSR1 under load, the three styles, syslog,
access-log off, and requests that try to forge a line."""
import os
import re
import signal
import socket
import threading
import time

import pytest

from conftest import free_port, wait_until
from sitekit import write_tree


def start(tmp_path, conf_server, extra="", site_extra="", gemini=True,
          wait_file=None):
    cap = tmp_path / "capsule"
    if not cap.exists():
        write_tree(cap, {"index.gmi": "# Home\n", "a.txt": "a\n"})
    g = free_port() if gemini else 0
    p = free_port()
    s = conf_server(f"""listen "127.0.0.1"
gemini-port {g}
{extra}
site "localhost" {{
    capsule "{cap}"
    certs "{tmp_path}/certs"
    gopher-port {p}
    {site_extra}
}}
""", gemini_port=g, gopher_ports=[p], wait_file=wait_file)
    return s, g, p


def wait_for(path, text, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return path.read_text(errors="replace")
        time.sleep(0.02)
    raise AssertionError(f"{text!r} not in {path}")


def test_rotation_loses_and_splits_no_line(tmp_path, conf_server):
    log = tmp_path / "attache.log"
    s, g, p = start(tmp_path, conf_server, extra=f'log "{log}"\n'
                    "rate-limit off\nmax-connections-per-address off",
                    wait_file=log)
    # Nothing goes to stderr once the file is the log.
    assert "SIGHUP reloads" not in s.log()
    stop = threading.Event()
    sent = []

    def client(k):
        n = 0
        while not stop.is_set():
            sel = f"/a.txt?{k}-{n}"
            with socket.create_connection(("127.0.0.1", p), timeout=10) as c:
                c.sendall(sel.encode() + b"\r\n")
                while c.recv(4096):
                    pass
            sent.append(sel)
            n += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    files = [log] + [tmp_path / f"attache.log.{i}" for i in range(1, 6)]
    request = ' gopher localhost "'

    def requests_in(path):
        return path.read_text(errors="replace").count(request)

    try:
        for i in range(1, 6):
            # Each file gets requests, and the rename comes during more.
            assert wait_until(lambda: requests_in(log) >= 4), log.read_text()
            os.rename(log, files[i])
            s.proc.send_signal(signal.SIGUSR1)
            wait_for(log, "log file")
        assert wait_until(lambda: requests_in(log) >= 4), log.read_text()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    # A client counts a request once it has read the whole answer, which
    # comes after its line: all are there.
    assert wait_until(lambda: sum(map(requests_in, files)) >= len(sent))
    lines = []
    for f in files:
        text = f.read_text()
        assert text.endswith("\n")
        lines += text.splitlines()
    access = [l for l in lines if request in l]
    # Every request's line is there exactly once, whole.
    assert len(sent) > 20
    for sel in sent:
        found = [l for l in access if f'"{sel}" ' in l]
        assert len(found) == 1, (sel, found)
        assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1 '
                            r'gopher localhost "' + re.escape(sel) +
                            r'" 3 \d+ \d+ms \(no such file\)', found[0]), \
            found[0]
    assert len(access) == len(sent)
    # Each rotated file ends where the next begins: reopened, not copied.
    assert f"log file {log} reopened" in log.read_text() or \
        any(f"log file {log} reopened" in (tmp_path / f"attache.log.{i}")
            .read_text() for i in range(1, 6))


@pytest.mark.parametrize("style,gemini_re,gopher_re", [
    ("attache",
     r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1 gemini localhost '
     r'"gemini://localhost:G/" 20 32 \d+ms',
     r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1 gopher localhost '
     r'"/nope" 3 \d+ \d+ms \(no such file\)'),
    ("common",
     r'127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
     r'"gemini://localhost:G/" 20 32',
     r'127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
     r'"gopher://localhost:P/1/nope" 50 \d+'),
    ("combined",
     r'127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
     r'"gemini://localhost:G/" 20 32 "-" "-"',
     r'127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
     r'"gopher://localhost:P/1/nope" 50 \d+ "-" "-"'),
])
def test_log_styles(tmp_path, conf_server, style, gemini_re, gopher_re):
    s, g, p = start(tmp_path, conf_server, extra=f"log-style {style}")
    assert s.gemini(f"gemini://localhost:{g}/")[0] == "20 text/gemini; lang=en"
    s.gopher_raw(b"/nope\r\n", port=p)
    log = s.wait_log('/nope"')
    access = [l for l in log.splitlines() if "localhost" in l and
              "attache" not in l.split()[1]]
    assert len(access) == 2, log
    assert re.fullmatch(gemini_re.replace("G", str(g)), access[0]), access[0]
    assert re.fullmatch(gopher_re.replace("P", str(p)), access[1]), access[1]


def test_forged_lines_are_escaped(tmp_path, conf_server):
    s, g, p = start(tmp_path, conf_server)
    # A CR inside the line (a line ends at LF), quotes, an escape sequence.
    forged = (b"/x\" 0 1 1ms\r2026-01-01T00:00:00Z 6.6.6.6 gopher localhost "
              b"\"/admin\" 0 1 1ms\x1b[2J\\")
    s.gopher_raw(forged + b"\r\n", port=p)
    s.gemini_raw(b"gemini://localhost/\"\x1b\r\n", port=g)
    log = s.wait_log("(control character)")
    assert "6.6.6.6" not in "".join(l for l in log.splitlines()
                                    if l.startswith("2026-01-01"))
    assert not any(l.startswith("2026-01-01T00:00:00Z") for l in
                   log.splitlines())
    assert "\x1b" not in log
    assert ('"/x\\x22 0 1 1ms\\x0d2026-01-01T00:00:00Z 6.6.6.6 gopher '
            'localhost \\x22/admin\\x22 0 1 1ms\\x1b[2J\\x5c" 3') in log
    assert '"gemini://localhost/\\x22\\x1b" 59' in log


def test_access_log_off(tmp_path, conf_server):
    s, g, p = start(tmp_path, conf_server, site_extra="access-log off")
    assert s.gopher_raw(b"/a.txt\r\n", port=p) == b"a\n"
    s.gopher_raw(b"/nope\r\n", port=p)
    # A request's line is written before its answer's end, which the
    # client has read: none can come later.
    assert '"/a.txt"' not in s.log() and '"/nope"' not in s.log()


@pytest.fixture
def dev_log():
    """A syslog socket at /dev/log, when this machine has none (CI)."""
    if os.path.exists("/dev/log"):
        pytest.skip("a syslog daemon owns /dev/log here")
    if os.geteuid() != 0:
        pytest.skip("needs root to create /dev/log")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("/dev/log")
    s.settimeout(10)
    yield s
    s.close()
    os.unlink("/dev/log")


def test_syslog(tmp_path, conf_server, dev_log):
    s, g, p = start(tmp_path, conf_server, extra='log "syslog"',
                    wait_file=False)
    got = []
    deadline = time.monotonic() + 10
    while not any(b"SIGHUP reloads" in m for m in got):
        assert time.monotonic() < deadline, got
        got.append(dev_log.recv(8192))
    s.gopher_raw(b"/a.txt\r\n", port=p)
    s.gopher_raw(b"/nope\r\n", port=p)
    while not any(b'"/nope"' in m for m in got):
        assert time.monotonic() < deadline, got
        got.append(dev_log.recv(8192))
    # Facility daemon (3): info lines at notice (5), access lines at info
    # (6), errors at err (3).
    started = [m for m in got if b"SIGHUP reloads" in m][0]
    assert re.match(rb"<29>\w{3} [ \d]\d \d\d:\d\d:\d\d attache\[\d+\]: "
                    rb"\d+ workers; Ctrl-C", started), started
    access = [m for m in got if b'"/a.txt"' in m][0]
    assert re.match(rb'<30>.* attache\[\d+\]: \S+ 127\.0\.0\.1 gopher '
                    rb'localhost "/a\.txt" 0 2 \d+ms$', access), access
    assert s.log() == ""        # nothing on stderr
