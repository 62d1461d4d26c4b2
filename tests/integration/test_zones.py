"""Client certificates and protected zones: no, wrong, expired, not yet
valid and allowed certificates; lists re-read on reload; sessions resumed
with their certificate; Gopher never serves nor shows a protected zone."""
import re
import subprocess

import pytest

from conftest import BIN, root_items, wait_until
from titankit import Office, fingerprint, gemini


@pytest.fixture
def office(tmp_path, conf_server):
    o = Office(tmp_path)
    s = conf_server(o.text(), gemini_port=o.gemini, gopher_ports=[o.gopher])
    s.office = o
    return s


def get(s, path, ident=None):
    header, body, _, _ = gemini(s.office.gemini, s.office.url(path), ident)
    return header, body


def test_a_client_without_certificate_is_served_as_before(office):
    assert get(office, "/") == ("20 text/gemini", (
        office.office.capsule / "index.gmi").read_bytes())
    assert get(office, "/open/a.txt") == (
        "20 text/plain; charset=utf-8", b"a\n")
    # A certificate changes nothing outside the zones.
    assert get(office, "/page.gmi", office.office.bob) == (
        "20 text/gemini", b"# A page\n")


def test_only_a_site_that_reads_certificates_asks_for_one(tmp_path,
                                                          conf_server):
    """Asking costs a full handshake about 6 % of its CPU (the request,
    and the client's answer to it): a site with no zone, no Titan and no
    program does not ask, so a client's certificate never reaches it; the
    zones' site on the same port asks."""
    from sitekit import write_tree
    o = Office(tmp_path)
    plain = tmp_path / "plain"
    write_tree(plain, {"index.gmi": "# Plain\n"})
    s = conf_server(o.text() + f'site "plain.test" {{ capsule "{plain}" '
                    f'certs "{o.certs}" }}\n', gemini_port=o.gemini,
                    gopher_ports=[o.gopher])
    s.office = o
    assert gemini(o.gemini, f"gemini://plain.test:{o.gemini}/", o.bob,
                  sni="plain.test")[:2] == ("20 text/gemini; lang=en",
                                          b"# Plain\n")
    assert get(s, "/page.gmi", o.bob) == ("20 text/gemini", b"# A page\n")
    log = s.wait_log("/page.gmi")
    fp = fingerprint(o.bob[0])[7:23]
    assert re.search(r'"gemini://plain.test:\d+/" 20 33 \d+ms$', log,
                     re.M), log
    assert re.search(rf'"gemini://localhost:\d+/page.gmi" 20 \d+ \d+ms '
                     rf'cert={fp}$', log, re.M), log


def test_require_certificate(office):
    o = office.office
    assert get(office, "/staff/") == ("60 Certificate required", b"")
    assert get(office, "/staff/rota.txt") == ("60 Certificate required", b"")
    # Any valid certificate, self-signed ones included.
    assert get(office, "/staff/", o.alice) == ("20 text/gemini",
                                               b"# Staff room\n")
    assert get(office, "/staff/rota.txt", o.bob) == (
        "20 text/plain; charset=utf-8", b"rota\n")
    assert get(office, "/staff/", o.expired) == ("62 Certificate not valid",
                                                 b"")
    assert get(office, "/staff/", o.future) == ("62 Certificate not valid",
                                                b"")
    # The directory named without its slash is redirected, not revealed.
    assert get(office, "/staff") == ("31 /staff/", b"")
    # A name that only starts the same is no part of the zone.
    assert get(office, "/staffroom.gmi")[0] == "51 Not found"


def test_allow_certificate(office):
    o = office.office
    assert get(office, "/board/minutes.gmi") == ("60 Certificate required",
                                                 b"")
    assert get(office, "/board/minutes.gmi", o.bob) == ("61 Not authorised",
                                                        b"")
    assert get(office, "/board/minutes.gmi", o.alice) == (
        "20 text/gemini", b"# Minutes\n")
    # Listed, but out of date: 62 before anything else.
    assert get(office, "/board/minutes.gmi", o.expired) == (
        "62 Certificate not valid", b"")
    log = office.wait_log("certificate not allowed here")
    fp = {n: fingerprint(getattr(o, n)[0])[7:23] for n in ("alice", "bob")}
    assert re.search(r'"gemini://localhost:\d+/board/minutes.gmi" 61 19 '
                     rf'\d+ms cert={fp["bob"]} \(certificate not allowed '
                     r'here\)$', log, re.M), log
    assert re.search(r'"gemini://localhost:\d+/board/minutes.gmi" 20 \d+ '
                     rf'\d+ms cert={fp["alice"]}$', log, re.M), log
    assert re.search(r'"gemini://localhost:\d+/board/minutes.gmi" 60 25 '
                     r'\d+ms \(no certificate\)$', log, re.M), log


def test_allow_certificates_is_read_again_on_reload(office):
    o = office.office
    assert get(office, "/board/minutes.gmi", o.bob)[0] == "61 Not authorised"
    o.board.write_text(f"{fingerprint(o.bob[0])}\n")
    assert "reloaded" in office.reload()
    assert get(office, "/board/minutes.gmi", o.bob)[0] == "20 text/gemini"
    assert get(office, "/board/minutes.gmi", o.alice)[0] == "61 Not authorised"
    # A broken list: the reload fails, naming the file and its line, and
    # the list read before still rules.
    o.board.write_text(f"{fingerprint(o.alice[0])}\nnot a fingerprint\n")
    line = office.reload()
    assert "reload failed: 1 problem" in line
    assert (f"{office.conf}:12: allow-certificates: {o.board}:2: not a "
            "SHA-256 fingerprint (sha256: and 64 hex digits)") in office.log()
    assert get(office, "/board/minutes.gmi", o.bob)[0] == "20 text/gemini"


def test_a_missing_list_stops_the_start(tmp_path):
    o = Office(tmp_path)
    conf = tmp_path / "a.conf"
    conf.write_text(o.text().replace(str(o.board), str(tmp_path / "nope")))
    r = subprocess.run([BIN, "-f", str(conf)], capture_output=True,
                       timeout=30)
    assert r.returncode == 1
    assert r.stderr.decode() == (
        f"{conf}:12: allow-certificates: {tmp_path}/nope: No such file or "
        "directory\n")
    r = subprocess.run([BIN, "--check", "-f", str(conf)], capture_output=True,
                       timeout=30)
    assert r.returncode == 1
    assert (f"{conf}:12: allow-certificates: {tmp_path}/nope: No such file "
            "or directory\n") in r.stdout.decode()


def test_a_resumed_session_keeps_its_certificate(office):
    o = office.office
    from titankit import context
    ctx = context(o.alice)
    header, _, reused, session = gemini(o.gemini, o.url("/staff/"), ctx=ctx)
    assert (header, reused) == ("20 text/gemini", False)
    header, _, reused, _ = gemini(o.gemini, o.url("/staff/"), ctx=ctx,
                                  session=session)
    assert (header, reused) == ("20 text/gemini", True)
    header, _, reused, _ = gemini(o.gemini, o.url("/board/minutes.gmi"),
                                  ctx=ctx, session=session)
    assert (header, reused) == ("20 text/gemini", True)
    # A session without a certificate resumes without one.
    ctx = context()
    header, _, reused, session = gemini(o.gemini, o.url("/staff/"), ctx=ctx)
    assert header == "60 Certificate required"
    header, _, reused, _ = gemini(o.gemini, o.url("/staff/"), ctx=ctx,
                                  session=session)
    assert (header, reused) == ("60 Certificate required", True)


def test_gopher_never_serves_a_protected_zone(office):
    port = office.office.gopher
    for sel in (b"/staff/", b"/staff", b"/staff/rota.txt",
                b"/board/minutes.gmi", b"/list/staff/x.txt"):
        assert office.gopher_raw(sel + b"\r\n", port=port) == (
            b"3Not available over Gopher\t\tlocalhost\t%d\r\n.\r\n" % port)
    log = office.wait_log('"/board/minutes.gmi" 3')
    assert re.search(r' gopher localhost "/staff/rota.txt" 3 \d+ \d+ms '
                     r'\(protected zone\)$', log, re.M), log


def test_gopher_menus_and_listings_leave_protected_zones_out(office):
    port = office.office.gopher
    menu = office.gopher_raw(b"/\r\n", port=port)
    assert menu == (
        b"i# Office\t\tlocalhost\t%d\r\n"
        b"i\t\tlocalhost\t%d\r\n"
        b"1A page\t/page.gmi\tlocalhost\t%d\r\n" % (port, port, port)
        + root_items(port) + b".\r\n")
    listing = office.gopher_raw(b"/list/\r\n", port=port)
    assert b"staff" not in listing
    assert b"0page.txt\t/list/page.txt\tlocalhost\t%d\r\n" % port in listing
    # A name that only looks like the zone is listed.
    listing = office.gopher_raw(b"/open/\r\n", port=port)
    assert b"1staff-notes/\t/open/staff-notes/\tlocalhost\t%d\r\n" % port \
        in listing


def test_protected_pages_are_in_no_search_and_no_change_list(office):
    """A title or extract of a protected page would tell what the zone
    hides: search results and the change list leave it out, in both
    protocols, certificate or not."""
    from searchkit import wait_indexed
    cap = office.office.capsule
    (cap / "staff" / "secret.gmi").write_text(
        "# Quokka plans\n\nThe quokka budget.\n")
    (cap / "open" / "public.gmi").write_text("# Quokka news\n\nA quokka.\n")
    wait_indexed(office)

    def search():
        return get(office, "/search?quokka", office.office.alice)
    wait_until(lambda: b"public.gmi" in search()[1])
    header, body = search()
    assert header == "20 text/gemini"
    assert b"1 page matches." in body, body
    assert b"/open/public.gmi" in body and b"staff" not in body
    port = office.office.gopher
    menu = office.gopher_raw(b"/search\tquokka\r\n", port=port)
    assert b"/open/public.gmi" in menu and b"staff" not in menu
    header, body = get(office, "/changes.gmi")
    assert b"/open/public.gmi" in body and b"/staff/" not in body
    assert b"/board/" not in body
    assert b"staff" not in office.gopher_raw(b"/changes.gmi\r\n", port=port)
