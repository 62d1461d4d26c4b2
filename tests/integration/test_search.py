"""Search in both protocols: prompts, results, ranking, folding, prefixes,
phrases, pages of results, bad input, and an index kept fresh."""
import os
import re
import subprocess

import pytest

from conftest import free_ports, wait_until
from searchkit import (gemini_until, make_office, office_conf,
                       office_server, wait_indexed)


@pytest.fixture
def office(tmp_path, conf_server):
    return office_server(tmp_path, conf_server)


def line(t, display, selector, port, host="localhost"):
    return f"{t}{display}\t{selector}\t{host}\t{port}\r\n".encode()


def info(text, port):
    return line("i", text, "", port)


def test_gemini_prompt_and_results(office):
    assert office.gemini(office.url("/search")) == (
        "10 Search this capsule", b"", True)
    assert office.gemini(office.url("/search?extradition")) == (
        "20 text/gemini",
        "# Search: extradition\n\n2 pages match.\n\n"
        "=> /extradition.gmi Extradition requests\n"
        "> Requests for extradition go through Interpol.\n\n"
        "=> / Attaché office\n> Extradition\n\n"
        "=> /search New search\n".encode(), True)
    log = office.wait_log('"gemini://localhost:')
    assert '/search?extradition" 20 ' in log, log


def test_gopher_root_item_and_results(office):
    p = office.gopher_port
    root = office.gopher_raw(b"\r\n")
    assert root.endswith(info("", p) + line("7", "Search this capsule",
                                            "/search", p)
                         + line("1", "Recent changes", "/changes.gmi", p)
                         + b".\r\n")
    assert office.gopher_raw(b"/search\textradition\r\n") == (
        info("Search: extradition", p) + info("", p)
        + info("2 pages match.", p) + info("", p)
        + line("1", "Extradition requests", "/extradition.gmi", p)
        + info("Requests for extradition go through Interpol.", p)
        + info("", p) + line("1", "Attaché office", "/", p)
        + info("Extradition", p) + info("", p)
        + line("7", "New search", "/search", p) + b".\r\n")
    # Without a query, or with nothing but punctuation: asked again.
    assert office.gopher_raw(b"/search\r\n") == (
        line("7", "Search this capsule", "/search", p) + b".\r\n")
    assert office.gopher_raw(b"/search\t?!\r\n") == (
        info("Type some words to search for.", p) + info("", p)
        + line("7", "Search this capsule", "/search", p) + b".\r\n")


def found(srv, query):
    """The links of a Gemini search's results."""
    header, body, _ = srv.gemini(srv.url("/search?" + query))
    assert header == "20 text/gemini", (header, body)
    return [l.split(" ")[1] for l in body.decode().splitlines()
            if l.startswith("=> ") and not l.startswith("=> /search")]


def test_matching(office):
    # Case and accents, both ways.
    assert found(office, "securite") == ["/securite.gmi"]
    assert found(office, "S%C3%89CURIT%C3%89") == ["/securite.gmi"]
    # The last word as a prefix; the others whole.
    assert found(office, "interp") == ["/extradition.gmi"]
    assert found(office, "requests%20interp") == ["/extradition.gmi"]
    assert found(office, "interp%20extradition") == []
    # Every word must be there.
    assert found(office, "visas%20securite") == ["/securite.gmi"]
    assert found(office, "visas%20nowhere") == []
    # A phrase in order; its words in any order elsewhere.
    assert found(office, "%22mutual%20legal%20assistance%22") == [
        "/extradition.gmi"]
    assert sorted(found(office, "mutual%20legal%20assistance")) == [
        "/extradition.gmi", "/notes.txt"]
    # Text files by their text, others by name.
    assert found(office, "order") == ["/notes.txt"]
    assert found(office, "photo") == ["/photo.jpg"]
    # A location that says gone leaves its pages out.
    assert found(office, "draft") == []


def test_no_result_says_so(office):
    assert office.gemini(office.url("/search?zzzz")) == (
        "20 text/gemini", b"# Search: zzzz\n\nNo page matches.\n\n"
        b"=> /search New search\n", True)
    p = office.gopher_port
    assert office.gopher_raw(b"/search\tzzzz\r\n") == (
        info("Search: zzzz", p) + info("", p) + info("No page matches.", p)
        + info("", p) + line("7", "New search", "/search", p) + b".\r\n")


def test_bad_input(office):
    g = office.url
    assert office.gemini(g("/search?caf%C3"))[0] == "59 Query is not UTF-8"
    assert office.gemini(g("/search?%FF"))[0] == "59 Query is not UTF-8"
    assert office.gemini(g("/search?"))[0] == "10 Search this capsule"
    assert office.gemini(g("/search?%20%2C%3B"))[0] == (
        "10 Search this capsule")
    # Decoded once: "%2541" is the text "%41", which is the word "41".
    assert office.gemini(g("/search?%2541"))[1].startswith(
        b"# Search: %41\n\nNo page matches.\n")
    # Punctuation is harmless, controls never reach the page.
    header, body, _ = office.gemini(g("/search?%27%3B%20DROP%20TABLE%0A"
                                      "%3D%3E%20x"))
    assert header == "20 text/gemini"
    assert body.startswith(b"# Search: '; DROP TABLE => x\n\n")
    assert b"\n=> x" not in body
    # Over 1024 bytes: refused in both protocols.
    long = "a" * 1100
    assert office.gemini(g("/search?" + long))[0] == "59 Request too long"
    p = office.gopher_port
    assert office.gopher_raw(b"/search\t" + long.encode() + b"\r\n") == (
        line("3", "Request too long", "", p) + b".\r\n")
    assert office.gopher_raw(b"/search\tcaf\xc3\r\n") == (
        line("3", "Query is not UTF-8", "", p) + b".\r\n")
    log = office.wait_log('gopher localhost "/search\\x09caf')
    assert re.search(r'gopher localhost "/search\\x09caf.*" 3 \d+ \d+ms '
                     r'\(query not UTF-8\)$', log, re.M), log


def test_pages_of_results(tmp_path, conf_server):
    cap = tmp_path / "many"
    cap.mkdir()
    (cap / "index.gmi").write_text("# Many\n")
    for i in range(23):
        (cap / f"p{i:02d}.gmi").write_text(f"# Page {i:02d}\n\nvisa\n")
    g, p = free_ports(2)
    s = conf_server(office_conf(cap, tmp_path / "certs", g, p),
                    gemini_port=g, gopher_ports=[p])
    wait_indexed(s)
    _, body, _ = s.gemini(s.url("/search?visa"))
    lines = body.decode().splitlines()
    assert lines[2] == "23 pages match; results 1 to 10:"
    assert [l for l in lines if l.startswith("=> /p")] == [
        f"=> /p{i:02d}.gmi Page {i:02d}" for i in range(10)]
    assert lines[-2:] == ["=> /search/2?visa Next results 11 to 20 of 23",
                          "=> /search New search"]
    _, body, _ = s.gemini(s.url("/search/3?visa"))
    lines = body.decode().splitlines()
    assert lines[2] == "23 pages match; results 21 to 23:"
    assert lines[-2:] == [
        "=> /search/2?visa Previous results 11 to 20 of 23",
        "=> /search New search"]
    # Gopher: the next page is a menu whose selector carries the query.
    menu = s.gopher_raw(b"/search\tvisa\r\n")
    assert line("1", "Next results 11 to 20 of 23", "/search/2?visa",
                p) in menu
    menu = s.gopher_raw(b"/search/2?visa\r\n")
    assert info("23 pages match; results 11 to 20:", p) in menu
    assert line("1", "Page 10", "/p10.gmi", p) in menu
    assert s.gopher_raw(b"/search/1001?visa\r\n") == (
        line("3", "Not found", "", p) + b".\r\n")


def test_extracts_from_where_the_words_are(tmp_path, conf_server):
    """An extract is read from where the index says the words are, however
    deep in the file; from its start once the file has changed."""
    cap = tmp_path / "deep"
    cap.mkdir()
    filler = "".join(f"Filler line {i} says nothing at all.\n"
                     for i in range(2500))
    (cap / "deep.gmi").write_text(
        "# Deep\n\n" + filler + "Here visa and zebra meet.\n" + filler +
        "A zebra alone.\n")
    g, p = free_ports(2)
    s = conf_server(office_conf(cap, tmp_path / "certs", g, p),
                    gemini_port=g, gopher_ports=[p])
    wait_indexed(s)
    assert (cap / "deep.gmi").stat().st_size > 128 * 1024
    _, body, _ = s.gemini(s.url("/search?zebra"))
    assert "=> /deep.gmi Deep\n> Here visa and zebra meet.\n" in \
        body.decode()
    _, body, _ = s.gemini(s.url("/search?zebra%20alone"))
    assert "> A zebra alone.\n" in body.decode()
    # Searched at once: the index may not know yet; the extract is right.
    (cap / "deep.gmi").write_text("# Deep\n\nzebra moved up\n" + filler)
    _, body, _ = s.gemini(s.url("/search?zebra"))
    assert "=> /deep.gmi Deep\n> zebra moved up\n" in body.decode()


def test_files_kept_open_follow_the_capsule(tmp_path, conf_server):
    """The files a worker keeps open for extracts: one worker, so that
    every search uses what the last one kept.  A page replaced by another
    file of the same size and time (the old one still linked elsewhere, as
    Titan's history keeps it) shows the new text once indexed; one
    rewritten in place, at once."""
    cap = tmp_path / "kept"
    cap.mkdir()
    page = cap / "a.gmi"
    page.write_text("# A\n\nzanzibar alpha\n")
    g, p = free_ports(2)
    conf = office_conf(cap, tmp_path / "certs", g, p).replace(
        "workers 2", "workers 1")
    s = conf_server(conf, gemini_port=g, gopher_ports=[p])
    wait_indexed(s)
    for _ in range(2):
        _, body, _ = s.gemini(s.url("/search?zanzibar"))
        assert "=> /a.gmi A\n> zanzibar alpha\n" in body.decode()
    st = page.stat()
    (tmp_path / "history").mkdir()
    os.link(page, tmp_path / "history" / "a.gmi.1")
    new = cap / "a.gmi.tmp"
    new.write_text("# A\n\nzanzibar omega\n")
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(new, page)
    assert page.stat().st_size == st.st_size
    assert page.stat().st_ino != st.st_ino
    took, got = gemini_until(s, s.url("/search?zanzibar"),
                             lambda h, b: b"omega" in b)
    assert "=> /a.gmi A\n> zanzibar omega\n" in got[1].decode(), got
    # Rewritten in place, longer: searched at once, before the index
    # knows, the extract is read anew.
    page.write_text("# A\n\nzanzibar gamma and more\n")
    _, body, _ = s.gemini(s.url("/search?zanzibar"))
    assert "=> /a.gmi A\n> zanzibar gamma and more\n" in body.decode()


def test_real_clients(office):
    p = office.gopher_port
    r = subprocess.run(["curl", "-s", f"gopher://127.0.0.1:{p}/7/search"
                        "%09extradition"], capture_output=True, timeout=30)
    assert r.stdout.startswith(info("Search: extradition", p))
    r = subprocess.run(["lynx", "-dump", "-nolist",
                        f"gopher://127.0.0.1:{p}/7/search?interpol"],
                       capture_output=True, timeout=30,
                       env={**os.environ, "TERM": "dumb"})
    assert b"Extradition requests" in r.stdout, r.stdout


def test_edits_are_found_within_2s(office):
    cap = office.capsule
    (cap / "new.gmi").write_text("# New page\n\nAbout the ambassadeur.\n")
    took, got = gemini_until(office, office.url("/search?ambassadeur"),
                             lambda h, b: b"/new.gmi" in b)
    assert b"=> /new.gmi New page" in got[1], got
    assert took < 2.0
    # An edit: the old word goes, the new one comes.
    tmp = cap / "new.gmi.tmp"
    tmp.write_text("# New page\n\nAbout the consul.\n")
    os.replace(tmp, cap / "new.gmi")
    took, got = gemini_until(office, office.url("/search?consul"),
                             lambda h, b: b"/new.gmi" in b)
    assert took < 2.0
    assert b"/new.gmi" not in office.gemini(
        office.url("/search?ambassadeur"))[1]
    # A page deleted is gone; so are the pages of a directory removed.
    (cap / "new.gmi").unlink()
    took, got = gemini_until(office, office.url("/search?consul"),
                             lambda h, b: b"No page matches." in b)
    assert took < 2.0, got
    (cap / "dir" / "index.gmi").unlink()
    (cap / "dir").rmdir()
    took, got = gemini_until(office, office.url("/search?directory"),
                             lambda h, b: b"No page matches." in b)
    assert took < 2.0, got
    # A directory made and filled.
    (cap / "new" / "deeper").mkdir(parents=True)
    (cap / "new" / "deeper" / "p.gmi").write_text("# Deep\n\nquokka\n")
    took, got = gemini_until(office, office.url("/search?quokka"),
                             lambda h, b: b"/new/deeper/p.gmi" in b)
    assert took < 2.0, got
    # Dotfiles never are: once a page written after one is found, the
    # index has been past the dotfile too.
    (cap / ".hidden.gmi").write_text("# Hidden\n\nwombat\n")
    (cap / "after.gmi").write_text("# After\n\nnumbat\n")
    _, got = gemini_until(office, office.url("/search?numbat"),
                          lambda h, b: b"/after.gmi" in b, timeout=30)
    assert b"/after.gmi" in got[1], got
    assert b"No page matches." in office.gemini(
        office.url("/search?wombat"))[1]
    assert "reindexed in" in office.log()


def test_not_ready_says_so(tmp_path, conf_server, monkeypatch):
    monkeypatch.setenv("ATTACHE_TEST_INDEX_DELAY_MS", "3000")
    cap = make_office(tmp_path)
    g, p = free_ports(2)
    s = conf_server(office_conf(cap, tmp_path / "certs", g, p),
                    gemini_port=g, gopher_ports=[p])
    assert s.gemini(s.url("/search?visa")) == (
        "40 Search index not ready, try again shortly", b"", True)
    assert s.gemini(s.url("/changes.gmi"))[0] == (
        "40 Change list not ready, try again shortly")
    assert s.gopher_raw(b"/search\tvisa\r\n") == (
        line("3", "Search index not ready, try again shortly", "", p)
        + b".\r\n")
    # The rest of the capsule is served meanwhile.
    assert s.gemini(s.url("/securite.gmi"))[0] == "20 text/gemini"
    wait_indexed(s)
    assert s.gemini(s.url("/search?visa"))[0] == "20 text/gemini"


def test_searches_while_pages_change(tmp_path, conf_server):
    """Readers never see half an update: every answer is whole, while
    files are written, replaced and removed (under ASan in make test)."""
    import threading
    cap = make_office(tmp_path)
    g, p = free_ports(2)
    # Readers in a loop from one address: no limits on it.
    office = conf_server(office_conf(cap, tmp_path / "certs", g, p).replace(
        "site ", "rate-limit off\nmax-connections-per-address off\nsite ", 1),
        gemini_port=g, gopher_ports=[p])
    office.capsule = cap
    wait_indexed(office)
    cap = office.capsule
    stop = threading.Event()
    bad = []
    counts = [0, 0]

    def reader(k):
        while not stop.is_set():
            if k == 0:
                h, body, notify = office.gemini(office.url("/search?visa"))
                ok = h == "20 text/gemini" and notify and \
                    body.startswith(b"# Search: visa\n\n") and \
                    body.endswith(b"=> /search New search\n")
            else:
                body = office.gopher_raw(b"/changes.gmi\r\n")
                ok = body.startswith(b"iRecent changes on localhost\t") \
                    and body.endswith(b".\r\n")
            counts[k] += 1
            if not ok:
                bad.append(body)

    threads = [threading.Thread(target=reader, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    try:
        for i in range(30):
            tmp = cap / "churn.tmp"
            tmp.write_text(f"# Churn {i}\n\nvisa {i}\n")
            os.replace(tmp, cap / f"churn{i % 3}.gmi")
            if i % 5 == 4:
                (cap / f"churn{i % 3}.gmi").unlink()
            # Both readers read between changes.
            done = list(counts)
            assert wait_until(lambda: all(c > d for c, d in
                                          zip(counts, done))), bad[:1]
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert bad == []
    assert counts[0] > 5 and counts[1] > 5, counts
