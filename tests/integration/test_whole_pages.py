"""What is made from files being written is made from whole versions too:
directory listings while a checkout removes and writes a file again,
hand-written Gopher menus (gophermap files) rewritten in place, search
extracts and the change list while a page is rewritten in place."""
import re

import wholekit
from conftest import free_ports, wait_until
from wholekit import Tally, Writer, gemini_get, gopher_get, run_readers

SECONDS = 3
OPEN = ["--max-connections-per-address", "off", "--rate-limit", "off"]


def page(tag, word):
    """A page whose title says its version, and a line with word in it."""
    return (f"# Version {tag}\n\n" + "Filler line of the page.\n" * 2000 +
            f"The {word} of version {tag}.\n").encode()


def test_listings_keep_a_file_removed_and_written_again(server, tmp_path):
    s = server(extra_args=OPEN)
    d = s.capsule / "listed"
    d.mkdir()
    (d / "other.txt").write_text("other\n")
    versions = [page("A", "x"), page("B", "x")]
    (d / "page.gmi").write_bytes(versions[0])
    tally = Tally()

    def gemini_listing(done):
        while not done.is_set():
            header, body = gemini_get(s.gemini_port, "/listed/")
            ok = header == "20 text/gemini" and b"page.gmi" in body
            tally.add("gemini", "whole-0" if ok else "torn", (header, body))

    def gopher_listing(done):
        while not done.is_set():
            menu = gopher_get(s.gopher_port, "/listed/")
            ok = b"/listed/page.gmi\t" in menu and menu.endswith(b".\r\n")
            tally.add("gopher", "whole-0" if ok else "torn", menu)

    w = Writer(tmp_path, "recreate", {d / "page.gmi": versions}, pause_ms=3)
    run_readers([gemini_listing, gopher_listing], SECONDS)
    assert w.stop() > 10
    for what in ("gemini", "gopher"):
        assert tally.whole(what) > 0, tally.counts
        assert tally.bad(what) == 0, (tally.counts, tally.examples)


def test_gophermap_rewritten_in_place(server, tmp_path):
    s = server(extra_args=OPEN)
    d = s.capsule / "mapped"
    d.mkdir()
    maps = [(f"Menu {t}\n" + f"A line of menu {t}\n" * 3000).encode()
            for t in "AB"]
    gmap = d / "gophermap"
    menus = []
    for m in maps:
        gmap.write_bytes(m)
        title = m.split(b"\n", 1)[0]
        got = []

        def shows():
            got.append(gopher_get(s.gopher_port, "/mapped/"))
            return got[-1].startswith(b"i" + title + b"\t")
        assert wait_until(shows)
        menus.append(got[-1])
    tally = Tally()

    def reader(done):
        while not done.is_set():
            menu = gopher_get(s.gopher_port, "/mapped/")
            tally.add("gopher", wholekit.sort_body(menu, menus), len(menu))

    w = Writer(tmp_path, "inplace", {gmap: maps}, pause_ms=3)
    run_readers([reader], SECONDS)
    assert w.stop() > 10
    assert tally.whole("gopher") > 0, tally.counts
    assert tally.bad("gopher") == 0, (tally.counts, tally.examples)


def test_extracts_and_changes_of_a_page_rewritten(server, tmp_path):
    s = server(extra_args=OPEN)
    busy = s.capsule / "busy.gmi"
    versions = [page("A", "okapi"), page("B", "okapi")]
    busy.write_bytes(versions[1])
    busy.write_bytes(versions[0])
    assert wait_until(lambda: b"Version A" in gemini_get(
        s.gemini_port, "/changes.gmi")[1])
    assert wait_until(lambda: b"> The okapi of version A." in gemini_get(
        s.gemini_port, "/search?okapi")[1])
    # Seen whole once, as readers would.
    assert gemini_get(s.gemini_port, "/busy.gmi")[1] == versions[0]
    tally = Tally()
    extract = re.compile(rb"=> /busy\.gmi Version [AB]\n"
                         rb"> The okapi of version [AB]\.\n")
    change = re.compile(rb"=> /busy\.gmi \d{4}-\d\d-\d\d Version [AB]\n")

    def searcher(done):
        while not done.is_set():
            header, body = gemini_get(s.gemini_port, "/search?okapi")
            ok = header.startswith("20 ") and extract.search(body)
            tally.add("search", "whole-0" if ok else "torn", body[-300:])

    def changes(done):
        while not done.is_set():
            header, body = gemini_get(s.gemini_port, "/changes.gmi")
            ok = header.startswith("20 ") and change.search(body)
            tally.add("changes", "whole-0" if ok else "torn", body)

    w = Writer(tmp_path, "inplace", {busy: versions}, pause_ms=3)
    run_readers([searcher, changes], SECONDS)
    assert w.stop() > 10
    for what in ("search", "changes"):
        assert tally.whole(what) > 0, tally.counts
        assert tally.bad(what) == 0, (tally.counts, tally.examples)


def test_past_the_watch_limit(conf_server, tmp_path, monkeypatch):
    """inotify's limit on watches reached (here one watch): said at start
    and at every reload; a page in a directory not watched, rewritten in
    place, is still served whole (a read lease, and its size and times
    checked before and after the read)."""
    monkeypatch.setenv("ATTACHE_TEST_WATCH_MAX", "1")
    cap = tmp_path / "cap"
    (cap / "deep").mkdir(parents=True)
    (cap / "index.gmi").write_text("# Top\n")
    busy = cap / "deep" / "page.gmi"
    versions = [page("A", "x"), page("B", "x")]
    busy.write_bytes(versions[0])
    gem, gop = free_ports(2)
    s = conf_server(f"""listen "127.0.0.1"
gemini-port {gem}
rate-limit off
max-connections-per-address off
site "localhost" {{
    capsule "{cap}"
    certs "{tmp_path}/certs"
    gopher-port {gop}
}}
""", gemini_port=gem, gopher_ports=[gop])
    said = "cannot watch /deep/ for changes"
    assert said in s.wait_log(said)
    assert "fs.inotify.max_user_watches" in s.log()
    s.reload()
    again = "some directories are not watched"
    assert again in s.wait_log(again)
    assert gemini_get(gem, "/deep/page.gmi")[1] == versions[0]
    tally = Tally()

    def reader(done):
        while not done.is_set():
            header, body = gemini_get(gem, "/deep/page.gmi")
            tally.add("gemini", wholekit.sort_body(body, versions)
                      if header.startswith("20 ") else "refused", header)

    w = Writer(tmp_path, "inplace", {busy: versions}, pause_ms=3)
    run_readers([reader], SECONDS)
    assert w.stop() > 10
    assert tally.whole("gemini") > 0, tally.counts
    assert tally.bad("gemini") == 0, (tally.counts, tally.examples)
