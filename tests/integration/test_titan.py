"""Titan uploads: operators only; new, replaced and deleted pages, made
directories, history; the limits (size, paths, parameters, time); a cut
off upload changes nothing; the answer is the page's gemini:// URL."""
import re
import time

import pytest

from conftest import wait_until
from titankit import Uploads, connect, fingerprint, gemini, read_response


@pytest.fixture
def up(tmp_path, conf_server):
    u = Uploads(tmp_path)
    s = conf_server(u.text(), gemini_port=u.gemini, gopher_ports=[u.gopher])
    s.up = u
    return s


def read(s, path, host="localhost"):
    header, body, _, _ = gemini(s.up.gemini,
                                f"gemini://{host}:{s.up.gemini}{path}",
                                sni=host)
    return header, body


def test_new_page_is_served_at_once_in_both_protocols(up):
    u = up.up
    assert u.upload("/new.gmi", b"# New\n\nFresh.\n") == (
        f"30 gemini://localhost:{u.gemini}/new.gmi", b"")
    assert read(up, "/new.gmi") == ("20 text/gemini", b"# New\n\nFresh.\n")
    assert up.gopher_raw(b"/new.gmi\r\n", port=u.gopher) == (
        b"i# New\t\tlocalhost\t%d\r\ni\t\tlocalhost\t%d\r\n"
        b"iFresh.\t\tlocalhost\t%d\r\n.\r\n" % ((u.gopher,) * 3))
    fp = fingerprint(u.alice[0])
    log = up.wait_log("new.gmi: written")
    assert (f"attache info: titan: localhost /new.gmi: written, 14 bytes, "
            f"by {fp}\n") in log
    assert re.search(r'"titan://localhost:\d+/new.gmi;size=14" 30 \d+ \d+ms '
                     rf'cert={fp[7:23]}$', log, re.M), log
    assert u.history() == [] and u.temporaries() == []


def test_replaced_page_keeps_the_old_one_in_the_history(up):
    u = up.up
    assert u.upload("/page.gmi", b"# New page\n", mime="text/plain")[0] == (
        f"30 gemini://localhost:{u.gemini}/page.gmi")
    assert read(up, "/page.gmi") == ("20 text/gemini", b"# New page\n")
    [old] = u.history()
    assert re.fullmatch(r"page\.gmi\.\d{8}T\d{6}\.\d{6}Z", old), old
    assert (u.capsule / ".titan-history" / old).read_bytes() == \
        b"# Old page\n"
    # The history is a dotfile: never served, never listed.
    assert read(up, f"/.titan-history/{old}")[0] == "51 Not found"
    assert b"titan-history" not in up.gopher_raw(b"/\r\n", port=u.gopher)
    assert "; the previous version kept" in up.wait_log("page.gmi: written")


def test_page_in_new_subdirectories(up):
    u = up.up
    assert u.upload("/a/b/c.gmi", b"# Deep\n")[0] == (
        f"30 gemini://localhost:{u.gemini}/a/b/c.gmi")
    assert read(up, "/a/b/c.gmi") == ("20 text/gemini", b"# Deep\n")
    assert (u.capsule / "a" / "b").is_dir()
    # A directory's page: its index.gmi, and the answer names the directory.
    assert u.upload("/a/", b"# A\n")[0] == (
        f"30 gemini://localhost:{u.gemini}/a/")
    assert (u.capsule / "a" / "index.gmi").read_bytes() == b"# A\n"
    assert read(up, "/a/") == ("20 text/gemini", b"# A\n")
    # A name with spaces and accents comes back percent-encoded.
    assert u.upload("/caf%C3%A9%20menu.txt", b"menu\n")[0] == (
        f"30 gemini://localhost:{u.gemini}/caf%C3%A9%20menu.txt")
    assert (u.capsule / "caf\u00e9 menu.txt").read_bytes() == b"menu\n"


def test_redirect_target_names_the_host_asked_for(up):
    u = up.up
    header, _ = u.upload("/ip.gmi", b"# IP\n", host="127.0.0.1")
    assert header == f"30 gemini://127.0.0.1:{u.gemini}/ip.gmi"
    header, _ = u.upload("/k.gmi", b"# K\n", host="small.test")
    assert header == f"30 gemini://small.test:{u.gemini}/k.gmi"
    assert (u.small / "k.gmi").read_bytes() == b"# K\n"


def test_only_operators_upload(up):
    u = up.up
    assert u.upload("/x.gmi", b"# X\n", ident=None) == (
        "60 Certificate required", b"")
    assert u.upload("/x.gmi", b"# X\n", ident="bob") == ("61 Not authorised",
                                                        b"")
    # Listed in the operators' file, but out of date.
    assert u.upload("/x.gmi", b"# X\n", ident="expired") == (
        "62 Certificate not valid", b"")
    assert not (u.capsule / "x.gmi").exists()
    # An operator from the file.
    assert u.upload("/x.gmi", b"# X\n", ident="carol")[0].startswith("30 ")
    # A site without Titan does not take the scheme at all.
    assert u.upload("/x.gmi", b"# X\n", host="plain.test") == (
        "53 Proxy request refused", b"")
    log = up.wait_log("not an operator")
    assert re.search(r'"titan://localhost:\d+/x.gmi;size=4" 61 19 \d+ms '
                     rf'cert={fingerprint(u.bob[0])[7:23]} \(not an '
                     r'operator\)$', log, re.M), log


def test_operators_file_is_read_again_on_reload(up):
    u = up.up
    assert u.upload("/r.gmi", b"# R\n", ident="bob")[0] == "61 Not authorised"
    u.operators.write_text(f"{fingerprint(u.bob[0])}\n")
    assert "reloaded" in up.reload()
    assert u.upload("/r.gmi", b"# R\n", ident="bob")[0].startswith("30 ")
    assert u.upload("/r.gmi", b"# R\n", ident="carol")[0] == \
        "61 Not authorised"


def test_size_over_the_cap_is_refused_before_the_body(up):
    u = up.up
    with connect(u.gemini, "small.test", u.alice) as s:
        s.sendall(f"titan://small.test:{u.gemini}/big.gmi;size=101\r\n"
                  .encode())
        # No body byte sent: the answer comes anyway.
        assert read_response(s) == (
            "59 File too large (at most 100 bytes)", b"")
    assert u.upload("/fits.gmi", b"# " + b"x" * 97 + b"\n",
                    host="small.test")[0].startswith("30 ")
    assert not (u.small / "big.gmi").exists()


@pytest.mark.parametrize("path,answer", [
    ("/../x.gmi", "59 Bad request"),
    ("/a/%2e%2e/%2e%2e/x.gmi", "59 Bad request"),
    ("/a/./x.gmi", "59 Bad request"),
    ("//x.gmi", "59 Bad request"),
    ("/.hidden.gmi", "59 Path not allowed"),
    ("/dir/.git/config", "59 Path not allowed"),
    ("/%2etitan-history/page.gmi", "59 Path not allowed"),
    ("/keys/localhost.crt", "59 Path not allowed"),   # symlink out
    ("/keys/new.key", "59 Path not allowed"),
    ("/outlink.txt", "59 Path not allowed"),          # a symlink there
    ("/inlink.gmi", "59 Path not allowed"),
    ("/dir", "59 Path not allowed"),                  # a directory there
    ("/notes.txt/x.txt", "59 Path not allowed"),      # a file on the way
])
def test_paths_no_upload_may_take(up, path, answer):
    u = up.up
    before = sorted(str(p) for p in u.tmp.rglob("*"))
    assert u.upload(path, b"x\n") == (answer, b"")
    assert sorted(str(p) for p in u.tmp.rglob("*")) == before


@pytest.mark.parametrize("params,why", [
    (";size=abc", "size is not a number"),
    (";size=-1", "size is not a number"),
    (";size=2;size=2", "size given twice"),
    (";mime=text/gemini", "no size parameter"),
    ("", "no size parameter"),
    (";size=2;;", "malformed parameter"),
    (";size=2;mime=gemini", "malformed mime"),
])
def test_bad_parameter_lists(up, params, why):
    u = up.up
    with connect(u.gemini, "localhost", u.alice) as s:
        s.sendall(f"{u.url('/p.gmi')}{params}\r\n".encode())
        assert read_response(s) == ("59 Bad request", b"")
    assert re.search(r"\" 59 16 \d+ms cert=[0-9a-f]{16} \(" + why + r"\)$",
                     up.wait_log(why), re.M)


def test_the_line_limit_holds_for_titan(up):
    u = up.up
    url = u.url("/" + "a" * 1100 + ".gmi;size=1")
    with connect(u.gemini, "localhost", u.alice) as s:
        s.sendall(url.encode() + b"\r\n")
        assert read_response(s) == ("59 Request too long", b"")


def test_mime_must_match_the_name(up):
    u = up.up
    assert u.upload("/m.gmi", b"# M\n", mime="image/png") == (
        "59 MIME type does not match the file name", b"")
    assert u.upload("/m.gmi", b"# M\n", mime="text/gemini")[0][:3] == "30 "
    assert u.upload("/m.txt", b"m\n", mime="text/plain%3B%20charset=utf-8",
                    token="secret")[0][:3] == "30 "


def test_gemtext_must_be_utf8_and_is_linted(up):
    u = up.up
    assert u.upload("/bad.gmi", b"# Caf\xe9\n") == ("59 Not valid UTF-8", b"")
    assert not (u.capsule / "bad.gmi").exists()
    assert "(gemtext not UTF-8 on line 1)" in up.wait_log("not UTF-8")
    # Text that is not gemtext is stored as it is.
    assert u.upload("/raw.bin", b"\xff\x00")[0][:3] == "30 "
    assert u.upload("/lint.gmi", b"no heading\n```\nopen\n")[0][:3] == "30 "
    log = up.wait_log("no level-1 heading")
    assert ("attache warn: titan: localhost /lint.gmi:2: preformatted block "
            "never closed\n") in log
    assert ("attache warn: titan: localhost /lint.gmi:1: no level-1 heading "
            "(# ...)\n") in log
    assert u.temporaries() == []


def test_history_keeps_titan_history_versions(up):
    u = up.up
    for n in range(1, 6):
        assert u.upload("/dir/old.gmi", b"# v%d\n" % n)[0][:3] == "30 "
    # Pruned after the answer, by the worker's background thread.
    assert wait_until(lambda: len(u.history("dir")) == 2), u.history("dir")
    versions = u.history("dir")
    assert [(u.capsule / ".titan-history" / "dir" / v).read_bytes()
            for v in versions] == [b"# v3\n", b"# v4\n"]
    assert read(up, "/dir/old.gmi")[1] == b"# v5\n"


def test_delete(up):
    u = up.up
    assert u.upload("/dir/old.gmi", b"") == (
        f"30 gemini://localhost:{u.gemini}/dir/", b"")
    assert read(up, "/dir/old.gmi")[0] == "51 Not found"
    [kept] = u.history("dir")
    assert (u.capsule / ".titan-history" / "dir" / kept).read_bytes() == \
        b"# Old\n"
    assert "attache info: titan: localhost /dir/old.gmi: deleted, 6 bytes, " \
        f"by {fingerprint(u.alice[0])}\n" in up.wait_log("deleted")
    assert u.upload("/dir/old.gmi", b"") == ("51 Not found", b"")
    assert u.upload("/no/such/dir/x.gmi", b"") == ("51 Not found", b"")
    # Off on small.test: refused, nothing gone.
    assert u.upload("/keep.gmi", b"", host="small.test") == (
        "59 Deleting is off", b"")
    assert (u.small / "keep.gmi").read_bytes() == b"# K\n"


def test_cut_off_upload_changes_nothing(up):
    u = up.up
    body = b"# Half\n" + b"x" * 50000
    assert u.upload("/page.gmi", body, stop_after=25000, chunk=5000) is None
    up.wait_log("closed after 25000 of 50007 body bytes")
    assert (u.capsule / "page.gmi").read_bytes() == b"# Old page\n"
    assert read(up, "/page.gmi") == ("20 text/gemini", b"# Old page\n")
    # In a new directory: not even the directory stays.
    assert u.upload("/newdir/p.gmi", body, stop_after=100) is None
    up.wait_log("closed after 100 of 50007")
    wait_until(lambda: u.temporaries() == [])
    assert u.temporaries() == [] and u.history() == []
    assert not (u.capsule / "newdir").exists()


def test_slow_body_is_timed_out(up):
    u = up.up
    started = time.monotonic()
    with connect(u.gemini, "localhost", u.alice, timeout=30) as s:
        s.sendall(u.url("/page.gmi;size=100").encode() + b"\r\n# Slo")
        # The deadline is the request timeout (10 s) for a body this small.
        assert read_response(s) == ("40 Upload timed out", b"")
    assert 9 <= time.monotonic() - started < 20
    assert "5 of 100 body bytes came in time" in up.wait_log("came in time")
    assert (u.capsule / "page.gmi").read_bytes() == b"# Old page\n"
    assert u.temporaries() == []


def test_stopping_during_an_upload_leaves_nothing_behind(up):
    u = up.up
    s = connect(u.gemini, "localhost", u.alice)
    try:
        s.sendall(u.url("/page.gmi;size=1000").encode() + b"\r\n# Half")
        wait_until(u.temporaries)
        assert len(u.temporaries()) == 1
        assert up.stop() == 0
    finally:
        s.close()
    assert u.temporaries() == []
    assert (u.capsule / "page.gmi").read_bytes() == b"# Old page\n"


def test_titan_turned_on_by_a_reload(up):
    """plain.test may not write its capsule (the sandbox has it read-only);
    a reload with `titan on` there gets a server process that may."""
    u = up.up
    alice = fingerprint(u.alice[0])
    header, _, _, _ = gemini(u.gemini, f"titan://plain.test:{u.gemini}/x.gmi"
                             ";size=3", u.alice, sni="plain.test")
    assert header == "53 Proxy request refused"
    before = up.server_pid()
    text = u.text().replace(
        f'site "plain.test" {{ capsule "{u.plain}" }}',
        f'site "plain.test" {{ capsule "{u.plain}" titan on '
        f'titan-operator "{alice}" }}')
    line = up.reload(text)
    assert "reloaded: 3 sites" in line, line
    after = up.server_pid()
    assert after != before          # a new sandbox: a new server process
    assert u.upload("/new.gmi", b"# P\n", host="plain.test") == (
        f"30 gemini://plain.test:{u.gemini}/new.gmi", b"")
    assert (u.plain / "new.gmi").read_bytes() == b"# P\n"
