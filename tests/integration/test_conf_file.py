"""attache -f FILE: start-up problems as FILE:LINE: message, --check -f,
the shipped example, and the open-files limit."""
import resource
import subprocess

from conftest import BIN, ROOT, free_port, wait_until
from sitekit import TwoSites, write_tree


def run(*args, cwd=ROOT, preexec_fn=None, timeout=30):
    r = subprocess.run([BIN, *args], capture_output=True, timeout=timeout,
                       cwd=cwd, preexec_fn=preexec_fn)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_every_problem_stops_the_start_with_its_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text(f"""gemini-port {free_port()}
bogus 1
site "a.test" {{
    capsule "{tmp_path}"
    listen "127.0.0.1"
    lang "en us"
}}
site "a.test" {{ capsule "{tmp_path}" gopher-port 7000 }}
site "b.test" {{ capsule "{tmp_path}" gopher-port 7000 }}
site "c.test" {{ capsule "{tmp_path}
""")
    rc, out, err = run("-f", str(conf))
    assert rc == 1
    assert out == ""
    assert err.splitlines() == [
        f'{conf}:2: unknown directive "bogus"',
        f"{conf}:5: listen: not allowed in a site block (only at top level)",
        f'{conf}:6: lang: invalid value "en us"',
        f'{conf}:8: duplicate site name "a.test" (first on line 3)',
        f'{conf}:9: gopher-port 7000: already used by site "a.test" (line 8)',
        f"{conf}:10: unclosed string",
        f"{conf}:10: site block opened here is never closed",
    ]


def test_missing_capsule_and_certificates_are_named_at_their_line(tmp_path):
    write_tree(tmp_path / "cap", {"index.gmi": "# Home\n"})
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "a.test.key").write_text("x")
    conf = tmp_path / "a.conf"
    conf.write_text(f"""listen "127.0.0.1"
gemini-port {free_port()}
site "a.test" {{
    capsule "{tmp_path}/nope"
}}
site "b.test" {{
    capsule "cap"
    certs "certs"
    gopher-port 0
}}
site "c.test" {{
    capsule "cap"
    certs "cap/keys"
}}
""")
    rc, out, err = run("-f", str(conf))
    assert rc == 1
    assert err.splitlines() == [
        f"{conf}:4: capsule {tmp_path}/nope: No such file or directory",
        f"{conf}:13: {tmp_path}/cap/keys: certificate directory is inside "
        f"the capsule {tmp_path}/cap; refusing to serve its keys",
    ]
    # A lone key: the pair is never completed behind the operator's back.
    conf.write_text(f"""listen "127.0.0.1"
gemini-port {free_port()}
site "a.test" {{
    capsule "cap"
    certs "certs"
}}
""")
    rc, out, err = run("-f", str(conf))
    assert rc == 1
    assert err == (f"{conf}:5: {tmp_path}/certs/a.test.key exists but "
                   f"{tmp_path}/certs/a.test.crt is missing; refusing to "
                   "generate a new pair over it\n")


def test_site_options_do_not_go_with_a_file(tmp_path):
    rc, out, err = run("-f", "attache.conf.example", "--gopher-port", "70")
    assert (rc, out) == (1, "")
    assert err == ("attache: --gopher-port: not with --config; set it in "
                   "attache.conf.example\n")
    rc, out, err = run("--config")
    assert (rc, err) == (1, "attache: --config: needs a value\n")
    rc, out, err = run("--help")
    assert "-f, --config FILE" in out


def test_missing_file(tmp_path):
    rc, out, err = run("-f", str(tmp_path / "nope.conf"))
    assert (rc, out) == (1, "")
    assert err == f"{tmp_path}/nope.conf: No such file or directory\n"


def test_check_the_shipped_example():
    # It serves ./capsule, as make run does; the certificate may not exist
    # yet, which is no problem: the first start makes it.
    assert run("--check", "-f", "attache.conf.example") == (
        0, "0 errors, 0 warnings\n", "")
    text = (ROOT / "attache.conf.example").read_text()
    assert 'capsule "capsule"' in text
    assert "gopher-port 7070" in text and "gemini-port 1965" in text


def test_check_a_good_file_with_two_sites(tmp_path):
    sites = TwoSites(tmp_path)
    conf = tmp_path / "two.conf"
    conf.write_text(sites.text())
    assert run("--check", "-f", str(conf)) == (0, "0 errors, 0 warnings\n", "")


def test_check_a_broken_file(tmp_path):
    broken = ROOT / "tests" / "check" / "broken"
    write_tree(tmp_path / "clean", {"index.gmi": "# Clean\n"})
    conf = tmp_path / "broken.conf"
    conf.write_text(f"""gemini-port 1965
workers many
site "broken.test" {{
    capsule "{broken}"
    certs "{tmp_path}/certs"
    gopher-width 80
}}
site "clean.test" {{
    capsule "clean"
    certs "{tmp_path}/certs"
    location "/x/*" {{ redirect "not a url" }}
}}
site "missing.test" {{ capsule "{tmp_path}/nope" certs "{tmp_path}/certs" }}
""")
    rc, out, err = run("--check", "-f", str(conf))
    assert (rc, err) == (1, "")
    b = str(broken)
    assert out.splitlines() == [
        f'{conf}:2: workers: invalid value "many"',
        f'{conf}:11: redirect: invalid value "not a url"',
        # What the file says is checked, then each site's capsule.
        f"{b}: no index.gmi at the root: the home page of both protocols "
        "would be a listing",
        f"{b}/home.gmi:3: link to /missing.gmi, which does not exist",
        f"{b}/home.gmi:4: link to a dotfile, which is never served: "
        ".hidden.gmi",
        f"{b}/mac.gmi:1: CR-only line ends: use LF or CRLF",
        f"{b}/noheading.gmi:1: warning: no level-1 heading (# ...)",
        f"{b}/notes.txt:3: not valid UTF-8 (byte 0xff)",
        f"{b}/unclosed.gmi:4: preformatted block never closed",
        f"{conf}:13: {tmp_path}/nope: capsule directory: No such file or "
        "directory",
        "9 errors, 1 warning",
    ]


def test_open_files_limit_is_raised(tmp_path):
    write_tree(tmp_path / "cap", {"index.gmi": "# Home\n"})
    port = free_port()
    conf = tmp_path / "a.conf"
    conf.write_text(f'listen "127.0.0.1"\ngemini-port 0\n'
                    f'site "localhost" {{ capsule "cap" gopher-port {port} }}\n')

    def low_soft_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 4096))

    log = tmp_path / "log"
    with open(log, "wb") as f:
        proc = subprocess.Popen([BIN, "-f", str(conf)], stdout=f,
                                stderr=subprocess.STDOUT,
                                preexec_fn=low_soft_limit)
    try:
        wait_until(lambda: "workers" in log.read_text())
        assert "open files: limit raised from 1024 to 4096" in log.read_text()
        with open(f"/proc/{proc.pid}/limits") as f:
            line = [l for l in f if l.startswith("Max open files")][0]
        assert line.split()[3:5] == ["4096", "4096"]
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
