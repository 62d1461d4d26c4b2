"""Hand-written Gopher menus: gophermap files."""
import subprocess

from conftest import BIN, root_items


def line(t, display, selector, port, host="localhost"):
    return f"{t}{display}\t{selector}\t{host}\t{port}\r\n".encode()


MAP = ("Welcome to the hand-written menu\n"
       "1Documents\tdocs/\n"
       "0Notes\t../hello.txt\n"
       "1Floodgap\t/\tgopher.floodgap.com\t70\n"
       "7Search\t/search\n"
       "hWeb\tURL:https://example.org/\n"
       ".\n"
       "not shown\n")


def test_replaces_the_generated_menu(srv):
    p = srv.gopher_port
    d = srv.capsule / "mapped"
    d.mkdir()
    (d / "index.gmi").write_text("# Generated from gemtext\n")
    (d / "gophermap").write_text(MAP)
    want = (line("i", "Welcome to the hand-written menu", "", p)
            + line("1", "Documents", "/mapped/docs/", p)
            + line("0", "Notes", "/hello.txt", p)
            + line("1", "Floodgap", "/", 70, "gopher.floodgap.com")
            + line("7", "Search", "/search", p)
            + line("h", "Web", "URL:https://example.org/", p)
            + b".\r\n")
    assert srv.gopher_raw(b"/mapped/\r\n") == want
    assert srv.gopher_raw(b"/mapped\r\n") == want
    # Gemini ignores it.
    assert srv.gemini(srv.url("/mapped/"))[:2] == (
        "20 text/gemini", b"# Generated from gemtext\n")


def test_never_served_as_a_file(srv):
    p = srv.gopher_port
    d = srv.capsule / "listed"
    d.mkdir()
    (d / "a.txt").write_text("a\n")
    (d / "gophermap").write_text("iOnly this\t\n")
    assert srv.gopher_raw(b"/listed/gophermap\r\n") == (
        line("3", "Not found", "", p) + b".\r\n")
    assert srv.gemini(srv.url("/listed/gophermap"))[0] == "51 Not found"
    # The Gemini listing leaves it out.
    assert srv.gemini(srv.url("/listed/"))[1] == (
        b"# Index of /listed/\n\n=> ../ Parent directory\n"
        b"=> ./a.txt a.txt\n")
    assert srv.gopher_raw(b"/listed/\r\n") == (
        line("i", "Only this", "", p) + b".\r\n")
    log = srv.wait_log('"/listed/gophermap" 3')
    assert "(a hand-written Gopher menu)" in log


def test_root_menu_keeps_its_items(server, tmp_path):
    cap = tmp_path / "root"
    cap.mkdir()
    (cap / "gophermap").write_text("iHome\t\n")
    s = server(capsule=cap)
    p = s.gopher_port
    assert s.gopher_raw(b"\r\n") == (line("i", "Home", "", p)
                                     + root_items(p) + b".\r\n")
    # Unless it has them where the operator wants them.
    (cap / "gophermap").write_text("7Find\t/search\niHome\t\n")
    assert s.gopher_raw(b"\r\n") == (
        line("7", "Find", "/search", p) + line("i", "Home", "", p)
        + line("i", "", "", p)
        + line("1", "Recent changes", "/changes.gmi", p) + b".\r\n")


def test_check_reports_malformed_lines(tmp_path):
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "index.gmi").write_text("# Home\n")
    (cap / "sub").mkdir()
    (cap / "sub" / "gophermap").write_bytes(
        b"iFine\t\n1Bad port\t/x\th\tport\n\tno type\n1ok\t/\n"
        b"caf\xe9\n")
    r = subprocess.run([BIN, "--check", "--capsule", str(cap)],
                       capture_output=True, timeout=30)
    assert r.returncode == 1
    m = f"{cap}/sub/gophermap"
    assert r.stdout.decode().splitlines() == [
        f"{m}:2: gophermap: port is not a number from 1 to 65535",
        f"{m}:3: gophermap: item without a type (the line starts with a "
        "TAB)",
        f"{m}:5: gophermap: not valid UTF-8",
        "3 errors, 0 warnings",
    ]
