"""attache --check: the capsule checker operators run before readers come."""
import shutil
import subprocess

from conftest import BIN, ROOT

BROKEN = ROOT / "tests" / "check" / "broken"


def check(*args, cwd=ROOT):
    r = subprocess.run([BIN, "--check", *args], capture_output=True,
                       timeout=30, cwd=cwd)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_shipped_capsule_is_clean():
    rc, out, err = check("--capsule", "capsule")
    assert (rc, out, err) == (0, "0 errors, 0 warnings\n", "")
    # The defaults are ./capsule and ./certs.
    assert check() == (0, "0 errors, 0 warnings\n", "")


def test_broken_capsule_reports_each_problem_once():
    rc, out, err = check("--capsule", "tests/check/broken")
    assert rc == 1
    assert err == ""
    b = "tests/check/broken"
    assert out.splitlines() == [
        f"{b}: no index.gmi at the root: the home page of both protocols "
        "would be a listing",
        f"{b}/home.gmi:3: link to /missing.gmi, which does not exist",
        f"{b}/home.gmi:4: link to a dotfile, which is never served: "
        ".hidden.gmi",
        f"{b}/mac.gmi:1: CR-only line ends: use LF or CRLF",
        f"{b}/noheading.gmi:1: warning: no level-1 heading (# ...)",
        f"{b}/notes.txt:3: not valid UTF-8 (byte 0xff)",
        f"{b}/unclosed.gmi:4: preformatted block never closed",
        f"{b}/wide.gmi:4: warning: preformatted line of 80 columns, wider "
        "than 67: Gopher clients will cut it",
        "6 errors, 2 warnings",
    ]


def test_width_follows_gopher_width():
    rc, out, _ = check("--capsule", "tests/check/broken", "--gopher-width",
                       "80")
    assert "wide.gmi" not in out
    assert out.endswith("6 errors, 1 warning\n")


def test_warnings_alone_exit_zero(tmp_path):
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "index.gmi").write_text("no heading here\n")
    rc, out, _ = check("--capsule", str(cap))
    assert rc == 0
    assert out == (f"{cap}/index.gmi:1: warning: no level-1 heading (# ...)\n"
                   "0 errors, 1 warning\n")


def test_links_resolve_like_the_server(tmp_path):
    cap = tmp_path / "cap"
    (cap / "dir").mkdir(parents=True)
    (cap / "index.gmi").write_text(
        "# Home\n"
        "=> dir/page.gmi ok\n"
        "=> dir/ ok\n"
        "=> /dir/page.gmi ok\n"
        "=> gemini://localhost/dir/page.gmi ok, our host\n"
        "=> gemini://elsewhere.example/nope.gmi not ours: not checked\n"
        "=> https://example.org/ not checked\n"
        "=> dir/My%20Page.gmi ok, encoded\n"
        "=> dir/../gone.gmi missing\n"
        "=> dir warning: no final slash\n"
        "=> gemini://localhost/gone2.gmi missing, our host\n"
        "=> dir/%2ehidden.gmi dotfile, encoded\n")
    (cap / "dir" / "page.gmi").write_text("# Page\n=> ../index.gmi up\n")
    (cap / "dir" / "My Page.gmi").write_text("# Mine\n")
    (cap / "dir" / ".hidden.gmi").write_text("# Hidden\n")
    rc, out, _ = check("--capsule", str(cap))
    assert rc == 1
    assert out.splitlines() == [
        f"{cap}/index.gmi:9: link to /gone.gmi, which does not exist",
        f"{cap}/index.gmi:10: warning: link to the directory dir without a "
        "final '/': Gopher clients will take it for a file",
        f"{cap}/index.gmi:11: link to /gone2.gmi, which does not exist",
        f"{cap}/index.gmi:12: link to a dotfile, which is never served: "
        "dir/%2ehidden.gmi",
        "3 errors, 1 warning",
    ]


def test_never_follows_a_symlink_out(tmp_path):
    cap = tmp_path / "cap"
    shutil.copytree(BROKEN, cap, symlinks=True)
    (cap / "index.gmi").write_text("# Home\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.gmi").write_bytes(b"no heading\n=> nowhere.gmi x\n\xff\n")
    (outside / "evil.txt").write_bytes(b"\xff\n")
    (cap / "escape.gmi").symlink_to(outside / "evil.gmi")
    (cap / "escape-dir").symlink_to(outside)
    (cap / "inside.gmi").symlink_to("home.gmi")
    (cap / "alias.gmi").symlink_to(".hidden.gmi")
    rc, out, _ = check("--capsule", str(cap))
    assert rc == 1
    assert f"{cap}/escape.gmi: warning: symlink leads out of the capsule: " \
        "never served" in out.splitlines()
    assert f"{cap}/escape-dir: warning: symlink leads out of the capsule: " \
        "never served" in out.splitlines()
    assert f"{cap}/alias.gmi: warning: symlink leads to a dotfile: " \
        "never served" in out.splitlines()
    assert "evil" not in out and "nowhere" not in out
    # The link inside is checked once, where its target lives.
    assert out.count("home.gmi:3:") == 1
    assert "inside.gmi" not in out


def test_option_problems(tmp_path):
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "index.gmi").write_text("# Home\n")
    rc, out, _ = check("--capsule", str(cap), "--certs", str(cap / "certs"))
    assert rc == 1
    assert out == (f"{cap}/certs: certificate directory is inside the "
                   "capsule: its keys would be served\n1 error, 0 warnings\n")
    rc, out, _ = check("--capsule", str(tmp_path / "nope"))
    assert rc == 1
    assert out == (f"{tmp_path}/nope: capsule directory: No such file or "
                   "directory\n1 error, 0 warnings\n")
    rc, out, err = check("--capsule", str(cap), "--gemini-port", "99999",
                         "--gopher-port", "x")
    assert rc == 1
    assert err == ('attache: --gemini-port: invalid value "99999"\n'
                   'attache: --gopher-port: invalid value "x"\n')


def test_bad_certificate_is_reported(tmp_path):
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "index.gmi").write_text("# Home\n")
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "localhost.key").write_text("x")
    rc, out, _ = check("--capsule", str(cap), "--certs", str(certs))
    assert rc == 1
    assert "localhost.crt is missing" in out
    assert out.endswith("1 error, 0 warnings\n")
    assert not (certs / "localhost.crt").exists()
