"""Readers never get a half-written page, whatever the operator's editor
does: a 200 KB page and a text file rewritten every 3 ms in place (nano,
cp, shell redirection), by rename (rsync, sed -i), removed then created
and written (a checkout), and by git checkout between two commits, while
clients fetch the page over Gemini, its menu over Gopher and the text
file over Gopher, for 10 s each.  Every answer is one whole version, and
a page that exists in both versions is never `51`."""
import os
import shutil
import threading
import time

import pytest

import wholekit
from conftest import BIN, reachable_copy, wait_until
from wholekit import (MODES, Tally, Writer, gemini_get, gemini_reader,
                      gopher_get, gopher_reader, menus_of, run_readers)

SECONDS = 10
OPEN = ["--max-connections-per-address", "off", "--rate-limit", "off"]


ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0,
                               reason="needs root (CI runs as root)")


def capsule_of(tmp_path, mode, page, text):
    cap = tmp_path / "cap"
    cap.mkdir()
    cap.chmod(0o755)
    (cap / "index.gmi").write_text("# Whole\n")
    ids = None
    if mode == "git":
        ids = wholekit.make_repo(cap, {"busy.gmi": page, "busy.txt": text})
    else:
        (cap / "busy.gmi").write_bytes(page[0])
        (cap / "busy.txt").write_bytes(text[0])
    return cap, ids


def readers_against(server, tmp_path, mode, extra=()):
    """The readers against the writer of mode, for SECONDS: every answer
    one whole version."""
    page = [wholekit.version("A"), wholekit.version("B")]
    text = [wholekit.text_version("A"), wholekit.text_version("B")]
    cap, ids = capsule_of(tmp_path, mode, page, text)
    s = server(capsule=cap, extra_args=[*OPEN, *extra])
    menus = menus_of(s.gopher_port, cap, "busy.gmi", page)
    assert menus[0] != menus[1]
    if mode == "git":
        wholekit.git(cap, "checkout", "-q", "-f", ids[0])
    # Seen whole once before the writer starts, as readers would.
    assert gemini_get(s.gemini_port, "/busy.gmi")[1] == page[0]
    assert gopher_get(s.gopher_port, "/busy.txt") == text[0]
    tally = Tally()
    w = Writer(tmp_path, mode, {cap / "busy.gmi": page,
                                cap / "busy.txt": text},
               pause_ms=3, repo=cap, ids=ids)
    run_readers([
        lambda d: gemini_reader(s.gemini_port, "/busy.gmi", page, tally, d),
        lambda d: gopher_reader(s.gopher_port, "/busy.gmi", menus, tally, d,
                                "gopher menu"),
        lambda d: gopher_reader(s.gopher_port, "/busy.txt", text, tally, d,
                                "gopher text"),
    ], SECONDS)
    rounds = w.stop()
    assert rounds > 10, rounds
    for what in ("gemini", "gopher menu", "gopher text"):
        assert tally.whole(what) > 0, (what, tally.counts)
        assert tally.bad(what) == 0, (what, tally.counts, tally.examples)


@pytest.mark.parametrize("mode", MODES)
def test_readers_get_one_whole_version(server, tmp_path, mode):
    readers_against(server, tmp_path, mode)


@ROOT_ONLY
def test_without_leases(server, reachable_tmp):
    """Started as nobody (not as root: root's server process keeps
    CAP_LEASE), the capsule root's: no read lease can be had, the
    service's events decide.  A page truncated and half written, held open
    for a second: its readers get the version before, whole; closed, the
    new one, once the service trusts it (a second after its last change,
    without a lease)."""
    page = [wholekit.version("A"), wholekit.version("B")]
    cap = reachable_tmp / "cap"
    cap.mkdir()
    cap.chmod(0o755)
    (cap / "index.gmi").write_text("# Whole\n")
    busy = cap / "busy.gmi"
    busy.write_bytes(page[0])
    binary = reachable_copy(BIN, reachable_tmp / "bin" / "attache")
    certs = reachable_tmp / "certs"
    certs.mkdir()
    shutil.chown(certs, "nobody")
    s = server(capsule=cap, certs=certs, extra_args=OPEN, run_as=[
        "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
        "--inh-caps=-all", str(binary)])
    menus = menus_of(s.gopher_port, cap, "busy.gmi", page)
    assert gemini_get(s.gemini_port, "/busy.gmi")[1] == page[0]
    with open(busy, "r+b", buffering=0) as f:
        f.truncate(0)
        f.write(page[1][:len(page[1]) // 4])
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            assert gemini_get(s.gemini_port, "/busy.gmi") == (
                "20 text/gemini", page[0])
            assert gopher_get(s.gopher_port, "/busy.gmi") == menus[0]
        f.write(page[1][len(page[1]) // 4:])
    assert wait_until(lambda: gemini_get(s.gemini_port, "/busy.gmi")[1] ==
                      page[1], timeout=20)
    assert gopher_get(s.gopher_port, "/busy.gmi") == menus[1]


def test_a_long_writer_is_served_as_it_is(server, tmp_path):
    """A log appended to, its writer never closing it: after the bound,
    served as it is, never refused."""
    s = server(extra_args=OPEN)
    log = s.capsule / "log.txt"
    stop = threading.Event()
    written = bytearray()

    def append():
        with open(log, "ab", buffering=0) as f:
            while not stop.is_set():
                line = b"line %d\n" % len(written)
                f.write(line)
                written.extend(line)
                stop.wait(0.05)

    t = threading.Thread(target=append)
    t.start()
    try:
        assert wait_until(lambda: len(written) > 0)
        got = [gemini_get(s.gemini_port, "/log.txt") for _ in range(3)]
        menu = gopher_get(s.gopher_port, "/log.txt")
    finally:
        stop.set()
        t.join()
    for header, body in got:
        assert header.startswith("20 text/plain"), header
        assert bytes(written).startswith(body) and body, body
    assert bytes(written).startswith(menu) and menu


def test_no_whole_version_yet_waits_then_says_so(server, tmp_path):
    """A file held open for writing, never read whole before: its reader
    waits for the bound, then gets 40 (a type-3 line), never a part of it.
    Its writer changes it all along (here its mode), so that it is never
    settled."""
    s = server(extra_args=OPEN)
    path = s.capsule / "draft.gmi"
    path.write_bytes(b"# A draft\n")
    stop = threading.Event()

    def hold():
        with open(path, "r+b", buffering=0):
            mode = 0o644
            while not stop.is_set():
                mode ^= 0o004
                os.chmod(path, mode)
                stop.wait(0.05)

    t = threading.Thread(target=hold)
    t.start()
    try:
        t0 = time.monotonic()
        header, body = gemini_get(s.gemini_port, "/draft.gmi")
        took = time.monotonic() - t0
        menu = gopher_get(s.gopher_port, "/draft.gmi")
    finally:
        stop.set()
        t.join()
    assert header == "40 Being written; try again shortly", header
    assert body == b""
    assert took >= 1.5, took
    assert menu.startswith(b"3Being written: try again shortly\t"), menu
    # Closed: whole, at once.
    assert gemini_get(s.gemini_port, "/draft.gmi") == (
        "20 text/gemini", b"# A draft\n")
