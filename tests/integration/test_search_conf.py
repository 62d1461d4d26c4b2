"""The directives of search and the change list, the capsule's files that
hide them, and reloads that keep the index."""
import subprocess

from conftest import BIN, free_ports, root_items
from searchkit import make_office, office_conf, wait_indexed
from sitekit import TwoSites, write_tree


def line(t, display, selector, port, host="localhost"):
    return f"{t}{display}\t{selector}\t{host}\t{port}\r\n".encode()


def threads(srv):
    with open(f"/proc/{srv.server_pid()}/status") as f:
        return int([l for l in f if l.startswith("Threads:")][0].split()[1])


def test_off(server):
    s = server(extra_args=["--search", "off", "--changes", "off",
                           "--workers", "1"])
    p = s.gopher_port
    assert "1 worker;" in s.wait_log("worker")
    # Main, worker, and the service that only watches for files being
    # written: nothing indexed.
    assert threads(s) == 3
    assert "indexed" not in s.log()
    for path in ["/search", "/changes.gmi", "/atom.xml"]:
        assert s.gemini(s.url(path))[0] == "51 Not found"
    assert s.gopher_raw(b"/search\tx\r\n") == (
        line("3", "Not found", "", p) + b".\r\n")
    assert s.gopher_raw(b"/\r\n").endswith(
        line("1", "A page", "/page.gmi", p) + b".\r\n")


def test_search_off_changes_on(server):
    s = server(extra_args=["--search", "off"])
    p = s.gopher_port
    wait_indexed(s)
    assert s.gemini(s.url("/search?x"))[0] == "51 Not found"
    assert s.gemini(s.url("/changes.gmi"))[0] == "20 text/gemini"
    assert s.gopher_raw(b"/\r\n").endswith(
        line("i", "", "", p) + line("1", "Recent changes", "/changes.gmi", p)
        + b".\r\n")


def test_paths(tmp_path, conf_server):
    cap = make_office(tmp_path)
    g, p = free_ports(2)
    s = conf_server(office_conf(cap, tmp_path / "certs", g, p, extra="""
    search-path "/find"
    changes-path "/news/recent.gmi"
    atom-path "/news/feed.xml"
"""), gemini_port=g, gopher_ports=[p])
    wait_indexed(s)
    assert s.gemini(s.url("/find"))[0] == "10 Search this capsule"
    assert s.gemini(s.url("/find?visas"))[1].endswith(
        b"=> /find New search\n")
    assert s.gemini(s.url("/news/recent.gmi"))[0] == "20 text/gemini"
    assert s.gemini(s.url("/news/feed.xml"))[0] == "20 application/atom+xml"
    assert b'href="gemini://localhost:%d/news/recent.gmi"' % g in s.gemini(
        s.url("/news/feed.xml"))[1]
    for path in ["/search", "/changes.gmi", "/atom.xml"]:
        assert s.gemini(s.url(path))[0] == "51 Not found"
    assert s.gopher_raw(b"/\r\n").endswith(
        root_items(p, search="/find", changes="/news/recent.gmi")
        + b".\r\n")


def test_a_capsule_file_wins(tmp_path, conf_server):
    cap = make_office(tmp_path)
    (cap / "search").write_text("my own search page\n")
    (cap / "changes.gmi").write_text("# My own changes\n")
    g, p = free_ports(2)
    text = office_conf(cap, tmp_path / "certs", g, p)
    s = conf_server(text, gemini_port=g, gopher_ports=[p])
    wait_indexed(s)
    assert s.gemini(s.url("/search?x")) == (
        "20 application/octet-stream", b"my own search page\n", True)
    assert s.gemini(s.url("/changes.gmi"))[1] == b"# My own changes\n"
    assert s.gemini(s.url("/atom.xml"))[0] == "20 application/atom+xml"
    # The root menu's items lead to what the capsule has there.
    assert s.gopher_raw(b"/changes.gmi\r\n") == (
        line("i", "# My own changes", "", p) + b".\r\n")
    r = subprocess.run([BIN, "--check", "-f", str(s.conf)],
                       capture_output=True, timeout=30)
    out = r.stdout.decode().splitlines()
    assert f"{s.conf}:4: warning: search-path /search: the capsule has a " \
        "file there, served instead of the search" in out, out
    assert f"{s.conf}:4: warning: changes-path /changes.gmi: the capsule " \
        "has a file there, served instead of the change list" in out, out


def test_links_to_generated_pages_in_menus(server, tmp_path):
    cap = tmp_path / "cap"
    write_tree(cap, {"index.gmi": "# Home\n=> /search Search\n"
                                  "=> changes.gmi What changed\n"
                                  "=> /atom.xml Feed\n"})
    s = server(capsule=cap)
    p = s.gopher_port
    # The items are there already: not added twice.
    assert s.gopher_raw(b"/\r\n") == (
        line("i", "# Home", "", p) + line("7", "Search", "/search", p)
        + line("1", "What changed", "/changes.gmi", p)
        + line("0", "Feed", "/atom.xml", p) + b".\r\n")


def test_reload_keeps_the_index(tmp_path, conf_server):
    sites = TwoSites(tmp_path)
    s = conf_server(sites.text(), gemini_port=sites.gemini,
                    gopher_ports=[sites.gopher_office, sites.gopher_lab])
    log = wait_indexed(s, 2)
    assert log.count(": indexed ") == 2
    assert "reloaded: 2 sites" in s.reload()
    assert "reloaded: 2 sites" in s.reload(sites.text().replace(
        'lang "en"', 'lang "fr"'))
    po, pl = sites.gopher_office, sites.gopher_lab
    # A changed site: its search turned off then on again, and only it
    # walked again (each time), in the same server process.
    server = s.server_pid()
    text = sites.text(lab_extra="").replace(
        "gopher-port %d lang none }" % pl,
        "gopher-port %d lang none search off }" % pl)
    assert "reloaded: 2 sites" in s.reload(text)
    log = wait_indexed(s, 3)
    assert log.count(": indexed ") == 3
    assert "reloaded: 2 sites" in s.reload(sites.text())
    log = wait_indexed(s, 4)
    assert log.count(": indexed ") == 4
    assert s.server_pid() == server
    # The office's index worked all along, and still follows edits.
    assert b"1 page matches." in s.gopher_raw(b"/search\tbonjour\r\n",
                                              port=po)
    # A capsule elsewhere is outside the running server's sandbox: a new
    # server process serves, and walks every capsule once (the old one
    # finishes its connections).
    write_tree(tmp_path / "lab2", {"index.gmi": "# Lab two\n\nquokka\n"})
    assert "reloaded: 2 sites" in s.reload(sites.text().replace(
        f'capsule "{sites.lab}"', f'capsule "{tmp_path}/lab2"'))
    log = wait_indexed(s, 6)
    assert log.count(": indexed ") == 6
    assert f"capsule {tmp_path}/lab2: indexed " in log
    assert s.server_pid() != server
    assert b"Lab two" in s.gopher_raw(b"/search\tquokka\r\n", port=pl)
    assert b"No page matches." in s.gopher_raw(b"/search\tquokka\r\n",
                                                port=po)
