"""The change list: a gemsub page, a Gopher menu and an Atom feed."""
import os
import xml.etree.ElementTree as ET

import pytest

from conftest import free_ports
from searchkit import (T1, gemini_until, office_conf, office_server,
                       wait_indexed)

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def office(tmp_path, conf_server):
    return office_server(tmp_path, conf_server)


def test_gemsub_page(office):
    # Pages only, newest first; the draft is gone (its location says so);
    # a directory's index.gmi is linked as the directory.
    assert office.gemini(office.url("/changes.gmi")) == (
        "20 text/gemini", "# localhost\n## Recent changes\n\n"
        "=> /extradition.gmi 2026-12-01 Extradition requests\n"
        "=> /securite.gmi 2026-11-30 Sécurité intérieure\n"
        "=> /dir/ 2026-11-29 A directory\n"
        "=> / 2026-11-26 Attaché office\n".encode(), True)


def test_gopher_menu(office):
    p = office.gopher_port

    def line(t, d, sel):
        return f"{t}{d}\t{sel}\tlocalhost\t{p}\r\n".encode()
    assert office.gopher_raw(b"/changes.gmi\r\n") == (
        line("i", "Recent changes on localhost", "") + line("i", "", "")
        + line("1", "2026-12-01 Extradition requests", "/extradition.gmi")
        + line("1", "2026-11-30 Sécurité intérieure", "/securite.gmi")
        + line("1", "2026-11-29 A directory", "/dir/")
        + line("1", "2026-11-26 Attaché office", "/") + b".\r\n")
    assert line("1", "Recent changes", "/changes.gmi") in (
        office.gopher_raw(b"/\r\n"))


def atom(srv):
    header, body, _ = srv.gemini(srv.url("/atom.xml"))
    assert header == "20 application/atom+xml"
    return ET.fromstring(body)


def test_atom_feed(office, tmp_path, conf_server):
    feed = atom(office)
    g = office.gemini_port
    assert feed.tag == ATOM + "feed"
    assert feed.find(ATOM + "title").text == "localhost"
    assert feed.find(ATOM + "id").text == "tag:localhost,2026:changes"
    assert feed.find(ATOM + "updated").text == "2026-12-01T10:20:30Z"
    assert feed.find(ATOM + "author/" + ATOM + "name").text == "localhost"
    links = {l.get("rel"): l.get("href") for l in feed.findall(ATOM + "link")}
    assert links == {"self": f"gemini://localhost:{g}/atom.xml",
                     "alternate": f"gemini://localhost:{g}/changes.gmi"}
    entries = feed.findall(ATOM + "entry")
    assert [(e.find(ATOM + "title").text, e.find(ATOM + "id").text,
             e.find(ATOM + "updated").text,
             e.find(ATOM + "link").get("href")) for e in entries] == [
        ("Extradition requests", "tag:localhost,2026:/extradition.gmi",
         "2026-12-01T10:20:30Z", f"gemini://localhost:{g}/extradition.gmi"),
        ("Sécurité intérieure", "tag:localhost,2026:/securite.gmi",
         "2026-11-30T10:20:30Z", f"gemini://localhost:{g}/securite.gmi"),
        ("A directory", "tag:localhost,2026:/dir/index.gmi",
         "2026-11-29T10:20:30Z", f"gemini://localhost:{g}/dir/"),
        ("Attaché office", "tag:localhost,2026:/index.gmi",
         "2026-11-26T10:20:30Z", f"gemini://localhost:{g}/"),
    ]
    # The ids are the same after a restart, on other ports.
    office.stop()
    g2, p2 = free_ports(2)
    again = conf_server(office_conf(office.capsule, tmp_path / "certs", g2,
                                    p2), gemini_port=g2, gopher_ports=[p2])
    wait_indexed(again)
    assert [e.find(ATOM + "id").text for e in
            atom(again).findall(ATOM + "entry")] == [
        e.find(ATOM + "id").text for e in entries]
    # Over Gopher: the same feed, as a text file.
    assert again.gopher_raw(b"/atom.xml\r\n").startswith(
        b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")


def test_fifty_newest(tmp_path, conf_server):
    cap = tmp_path / "many"
    cap.mkdir()
    for i in range(60):
        f = cap / f"p{i:02d}.gmi"
        f.write_text(f"# Page {i:02d}\n")
        os.utime(f, (T1 + i * 3600, T1 + i * 3600))
    g, p = free_ports(2)
    s = conf_server(office_conf(cap, tmp_path / "certs", g, p),
                    gemini_port=g, gopher_ports=[p])
    wait_indexed(s)
    lines = s.gemini(s.url("/changes.gmi"))[1].decode().splitlines()
    links = [l for l in lines if l.startswith("=> ")]
    assert len(links) == 50
    assert links[0] == "=> /p59.gmi 2026-12-03 Page 59"
    assert links[-1] == "=> /p10.gmi 2026-12-01 Page 10"


def test_an_edit_comes_first(office):
    (office.capsule / "securite.gmi").write_text(
        "# Sécurité intérieure, revue\n\nNew text.\n")
    took, got = gemini_until(office, office.url("/changes.gmi"),
                             lambda h, b: b"revue" in b)
    assert took < 2.0, got
    assert got[1].decode().splitlines()[3].startswith(
        "=> /securite.gmi 20")
    assert got[1].decode().splitlines()[3].endswith(
        " Sécurité intérieure, revue")
