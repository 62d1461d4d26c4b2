"""Nothing is ever half written: 20 readers, over Gemini and Gopher, while
an operator uploads 50 alternating versions of a page; every read is one
whole version, old or new."""
import threading
import time

import pytest

from conftest import wait_until
from titankit import Uploads, gemini


@pytest.fixture
def up(tmp_path, conf_server):
    u = Uploads(tmp_path)
    # Readers in a loop from one address: no limits on it.
    s = conf_server(u.text().replace("workers 2\n", "workers 2\nrate-limit off\n"
                                     "max-connections-per-address off\n", 1),
                    gemini_port=u.gemini, gopher_ports=[u.gopher])
    s.up = u
    return s


def version(tag: bytes) -> bytes:
    """A page big enough to take several writes (about 60 KB)."""
    return b"# Version %s\n\n" % tag + b"".join(
        b"=> /line%05d.gmi %s line %d of the version\n" % (i, tag, i)
        for i in range(1200))


def test_readers_see_one_whole_version_during_uploads(up):
    u = up.up
    versions = [version(b"A"), version(b"B")]
    assert u.upload("/busy.gmi", versions[0])[0][:3] == "30 "
    # Each version as Gopher shows it: the menu rendered from the page.
    menus = []
    for v in versions:
        assert u.upload("/busy.gmi", v)[0][:3] == "30 "
        menus.append(up.gopher_raw(b"/busy.gmi\r\n", port=u.gopher))
    assert menus[0] != menus[1]

    done = threading.Event()
    seen = {"gemini": [0, 0], "gopher": [0, 0]}
    bad = []
    lock = threading.Lock()

    def gemini_reader():
        while not done.is_set():
            header, body, _, _ = gemini(u.gemini, f"gemini://localhost:"
                                        f"{u.gemini}/busy.gmi")
            with lock:
                if header == "20 text/gemini" and body in versions:
                    seen["gemini"][versions.index(body)] += 1
                else:
                    bad.append(("gemini", header, len(body)))

    def gopher_reader():
        while not done.is_set():
            menu = up.gopher_raw(b"/busy.gmi\r\n", port=u.gopher)
            with lock:
                if menu in menus:
                    seen["gopher"][menus.index(menu)] += 1
                else:
                    bad.append(("gopher", len(menu)))

    readers = [threading.Thread(target=gemini_reader) for _ in range(10)]
    readers += [threading.Thread(target=gopher_reader) for _ in range(10)]
    for t in readers:
        t.start()
    started = time.monotonic()
    try:
        answers = [u.upload("/busy.gmi", versions[i % 2])[0]
                   for i in range(50)]
    finally:
        done.set()
        for t in readers:
            t.join(timeout=60)
    assert not any(t.is_alive() for t in readers)
    assert answers == [f"30 gemini://localhost:{u.gemini}/busy.gmi"] * 50
    assert bad == []
    # Both protocols read both versions while the uploads went on.
    assert all(n > 0 for n in seen["gemini"] + seen["gopher"]), seen
    assert time.monotonic() - started < 120
    assert (u.capsule / "busy.gmi").read_bytes() == versions[1]
    # The history is pruned after each answer.
    assert wait_until(lambda: len(u.history()) == 2), u.history()
    assert u.temporaries() == []
