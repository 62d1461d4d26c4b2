"""CGI: scripts under a `cgi on` location run in the runner process as
cgi-user, confined; their environment, PATH_INFO, prompts, streaming with
flat memory, timeouts and process groups, limits, bad headers, stderr,
cgi-max, Gopher menus and searches, Titan to a script, the titan-hook, and
executables outside cgi locations served as files."""
import os
import re
import socket
import threading
import time

import pytest

from conftest import free_port, reachable_dir, wait_until
from sitekit import write_tree
from titankit import connect, fingerprint, identity, read_response, titan

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0,
                               reason="needs root (scripts run as nobody)")

BIG = 50 * 1024 * 1024

SCRIPTS = {
    "cgi/hello.sh": "#!/bin/sh\nprintf '20 text/gemini\\r\\n# Hello\\n'\n"
                    "echo \"from sh\"\n",
    "cgi/hello.py": "#!/usr/bin/python3\nimport sys\n"
                    "sys.stdout.write('20 text/plain\\r\\nfrom python\\n')\n",
    "cgi/env": "#!/bin/sh\nprintf '20 text/plain\\r\\n'\nexec env\n",
    "cgi/ask": "#!/bin/sh\nif [ -z \"$QUERY_STRING\" ]; then\n"
               "  printf '10 Your name?\\r\\n'\nelse\n"
               "  printf '20 text/gemini\\r\\nHello, %s!\\n"
               "=> /page.gmi A page\\n' \"$GEMINI_SEARCH_STRING\"\nfi\n",
    "cgi/big": "#!/usr/bin/python3\nimport os, sys\n"
               "sys.stderr.write('pid=%d\\n' % os.getpid())\n"
               "sys.stderr.flush()\n"
               "out = sys.stdout.buffer\nout.write(b'20 text/plain\\r\\n')\n"
               f"chunk = b'x' * 65536\nfor i in range({BIG // 65536}):\n"
               "    out.write(chunk)\n",
    "cgi/mute": "#!/bin/sh\necho \"pid=$$\" >&2\nsleep 600 &\n"
                "echo \"child=$!\" >&2\nwait\n",
    "cgi/stalls": "#!/bin/sh\nprintf '20 text/plain\\r\\nfirst line\\n'\n"
                  "exec sleep 600\n",
    "cgi/forks": "#!/bin/sh\nsleep 600 &\necho \"child=$!\" >&2\n"
                 "printf '20 text/plain\\r\\nparent done\\n'\n",
    "cgi/escape": "#!/bin/sh\npid=$(setsid -f sh -c 'echo $$; "
                  "exec sleep 600 >/dev/null 2>&1')\n"
                  "echo \"child=$pid\" >&2\n"
                  "printf '20 text/plain\\r\\nescaped\\n'\n",
    "cgi/bomb": "#!/usr/bin/python3\nimport os, sys, time\nn = 0\n"
                "for i in range(500):\n    try:\n        pid = os.fork()\n"
                "    except OSError:\n        break\n"
                "    if pid == 0:\n        time.sleep(600)\n"
                "        os._exit(0)\n    n += 1\n"
                "sys.stdout.write('20 text/plain\\r\\nforked %d\\n' % n)\n",
    "cgi/long": "#!/bin/sh\nprintf '20 text/plain; x=%01100d\\r\\nbody\\n' 0\n",
    "cgi/badstatus": "#!/bin/sh\nprintf '99 what\\r\\nbody\\n'\n",
    "cgi/http": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nhi\\n'\n",
    "cgi/noisy": "#!/bin/sh\ni=0\nwhile [ $i -lt 2000 ]; do\n"
                 "  echo \"noise $i\" >&2\n  i=$((i+1))\ndone\n"
                 "printf '20 text/plain\\r\\nquiet body\\n'\n",
    "cgi/escapes": "#!/bin/sh\nprintf 'bell\\007 tab\\t esc\\033[31m\\n' >&2\n"
                   "printf '20 text/plain\\r\\nok\\n'\n",
    "cgi/slow": "#!/bin/sh\nexec sleep 30\n",
    "cgi/nap": "#!/bin/sh\necho napping >&2\nsleep 1\n"
               "printf '20 text/plain\\r\\nnap done\\n'\n",
    "app/hi": "#!/bin/sh\nprintf '20 text/plain\\r\\napp\\n'\n",
    "cgi/fail": "#!/bin/sh\nprintf '51 Nothing here\\r\\n'\n",
    "cgi/upload": "#!/bin/sh\nprintf '20 text/plain\\r\\n'\n"
                  "echo \"len=$CONTENT_LENGTH type=$CONTENT_TYPE "
                  "token=$TITAN_TOKEN proto=$SERVER_PROTOCOL\"\ncat\n",
    "cgi/sub/deep": "#!/bin/sh\nprintf '20 text/plain\\r\\n"
                    "%s|%s\\n' \"$SCRIPT_NAME\" \"$PATH_INFO\"\n",
    "cgi/readme.txt": "not a script\n",
    "tool.sh": "#!/bin/sh\necho never run\n",
    "page.gmi": "# A page\n",
    "index.gmi": "# Home\n",
    "hook.sh": "#!/bin/sh\nenv > \"$DOCUMENT_ROOT/uploads/hooked.txt\"\n",
}
EXECUTABLE = {p for p in SCRIPTS if p.startswith(("cgi/", "app/"))
              and not p.endswith(".txt")} | {"tool.sh", "hook.sh"}


@pytest.fixture(scope="module")
def public():
    d = reachable_dir("attache-cgi-")
    yield d
    import shutil
    shutil.rmtree(d, ignore_errors=True)


def make_capsule(base):
    cap = base / "capsule"
    write_tree(cap, SCRIPTS)
    (cap / "uploads").mkdir()
    for p in [cap, *cap.rglob("*")]:
        rel = str(p.relative_to(cap))
        os.chmod(p, 0o755 if p.is_dir() or rel in EXECUTABLE else 0o644)
    os.chmod(cap / "uploads", 0o777)
    return cap


class Cgi:
    def __init__(self, conf_server, tmp_path, public, extra="", site=""):
        self.cap = make_capsule(public / tmp_path.name)
        self.tmp = tmp_path
        self.gemini_port, self.gopher_port = free_port(), free_port()
        self.s = conf_server(self.text(extra, site),
                             gemini_port=self.gemini_port,
                             gopher_ports=[self.gopher_port])

    def text(self, extra="", site="", where="/cgi/*"):
        return f"""listen "127.0.0.1"
gemini-port {self.gemini_port}
cgi-user "nobody"
cgi-timeout 3
{extra}
site "localhost" {{
    capsule "{self.cap}"
    certs "{self.tmp / 'certs'}"
    gopher-port {self.gopher_port}
    location "{where}" {{ cgi on }}
    {site}
}}
"""

    def get(self, path, ident=None, timeout=30):
        with connect(self.gemini_port, ident=ident, timeout=timeout) as t:
            t.sendall(f"gemini://localhost:{self.gemini_port}{path}\r\n"
                      .encode())
            return read_response(t)

    def gopher(self, selector: bytes):
        with socket.create_connection(("127.0.0.1", self.gopher_port),
                                      timeout=30) as g:
            g.sendall(selector + b"\r\n")
            out = b""
            while True:
                b = g.recv(65536)
                if not b:
                    return out
                out += b

    def log_value(self, key, after=0):
        """The value a script wrote to stderr as key=N, from the log."""
        pat = re.compile(rf"stderr: {key}=(\d+)")
        found = []
        wait_until(lambda: found.extend(pat.findall(self.s.log()[after:]))
                   or found)
        return int(found[0])

    def runner_pids(self):
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            if comm == "attache-cgi" and ppid == self.s.proc.pid:
                out.append(int(pid))
        return out


def children(pid):
    """Pids whose parent is pid, with their state letter."""
    out = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            out[int(p)] = fields[0]
    return out


def gone(pid):
    """Ended and reaped."""
    return not os.path.exists(f"/proc/{pid}")


@pytest.fixture
def cgi(conf_server, tmp_path, public):
    if os.geteuid() != 0:
        pytest.skip("needs root (scripts run as nobody)")
    return Cgi(conf_server, tmp_path, public)


def test_shell_and_python_scripts(cgi):
    assert cgi.get("/cgi/hello.sh") == ("20 text/gemini",
                                        b"# Hello\nfrom sh\n")
    assert cgi.get("/cgi/hello.py") == ("20 text/plain", b"from python\n")
    log = cgi.s.log()
    assert '"gemini://localhost:%d/cgi/hello.sh" 20' % cgi.gemini_port in log


def environment(body):
    env = dict(line.split("=", 1) for line in body.decode().splitlines())
    env.pop("PWD", None)     # the shell's own
    return env


def test_environment_without_and_with_a_certificate(cgi, tmp_path):
    root = os.path.realpath(cgi.cap)
    port = cgi.gemini_port
    header, body = cgi.get("/cgi/env/a%20b/c?x%20y%26z")
    assert header == "20 text/plain"
    want = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "GEMINI",
        "SERVER_SOFTWARE": environment(body)["SERVER_SOFTWARE"],
        "SERVER_NAME": "localhost",
        "SERVER_PORT": str(port),
        "REQUEST_METHOD": "",
        "SCRIPT_NAME": "/cgi/env",
        "SCRIPT_FILENAME": f"{root}/cgi/env",
        "PATH_INFO": "/a b/c",
        "PATH_TRANSLATED": f"{root}/a b/c",
        "DOCUMENT_ROOT": root,
        "QUERY_STRING": "x%20y%26z",
        "GEMINI_URL": f"gemini://localhost:{port}/cgi/env/a%20b/c?x%20y%26z",
        "GEMINI_URL_PATH": "/cgi/env/a b/c",
        "GEMINI_SEARCH_STRING": "x y&z",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_HOST": "127.0.0.1",
        "TLS_VERSION": "TLSv1.3",
        "TLS_CIPHER": environment(body)["TLS_CIPHER"],
    }
    assert environment(body) == want
    assert want["SERVER_SOFTWARE"].startswith("attache/")
    assert want["TLS_CIPHER"].startswith("TLS_")
    crt, key = identity(tmp_path / "ids", "alice")
    header, body = cgi.get("/cgi/env/a%20b/c?x%20y%26z", ident=(crt, key))
    env = environment(body)
    dates = [env.pop("TLS_CLIENT_NOT_BEFORE"), env.pop("TLS_CLIENT_NOT_AFTER")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d)
               for d in dates), dates
    assert dates[0] < dates[1]
    assert env == {**want, "AUTH_TYPE": "CERTIFICATE", "REMOTE_USER": "alice",
                   "TLS_CLIENT_HASH": "SHA256:" + fingerprint(crt)[7:],
                   "TLS_CLIENT_SUBJECT": "CN=alice",
                   "TLS_CLIENT_ISSUER": "CN=alice"}
    # Gopher: its own protocol, method, selector and search (text/plain
    # goes as it is).
    env = environment(cgi.gopher(b"/cgi/env/p\tsome words"))
    assert env["SERVER_PROTOCOL"] == "GOPHER"
    assert env["REQUEST_METHOD"] == "GET"
    assert env["SELECTOR"] == "/cgi/env/p"
    assert env["SEARCHREQUEST"] == "some words"
    assert env["QUERY_STRING"] == "some%20words"
    assert env["GEMINI_SEARCH_STRING"] == "some words"
    assert env["PATH_INFO"] == "/p"
    assert env["SERVER_PORT"] == str(cgi.gopher_port)
    assert "TLS_VERSION" not in env and "AUTH_TYPE" not in env


def test_a_control_character_never_reaches_a_program(cgi):
    assert cgi.get("/cgi/env?a%0Ab") == ("59 Bad request", b"")
    assert "request not fit for a program's environment" in cgi.s.log()


def test_path_info_splitting(cgi):
    assert cgi.get("/cgi/sub/deep") == ("20 text/plain", b"/cgi/sub/deep|\n")
    assert cgi.get("/cgi/sub/deep/x/y.gmi") == (
        "20 text/plain", b"/cgi/sub/deep|/x/y.gmi\n")
    # A file that is not executable is a file; a path past it, not found.
    assert cgi.get("/cgi/readme.txt") == ("20 text/plain; charset=utf-8",
                                          b"not a script\n")
    assert cgi.get("/cgi/readme.txt/more")[0] == "51 Not found"
    assert cgi.get("/cgi/nothing/here")[0] == "51 Not found"


def test_an_executable_outside_cgi_locations_is_a_file(cgi):
    header, body = cgi.get("/tool.sh")
    assert header.startswith("20 ")
    assert body == b"#!/bin/sh\necho never run\n"
    assert "never run" not in cgi.s.log()


def test_input_prompt_round_trip(cgi):
    assert cgi.get("/cgi/ask") == ("10 Your name?", b"")
    assert cgi.get("/cgi/ask?Ada%20L.") == (
        "20 text/gemini", b"Hello, Ada L.!\n=> /page.gmi A page\n")


def test_gopher_menu_from_gemtext_and_errors(cgi):
    host, port = "localhost", cgi.gopher_port
    assert cgi.gopher(b"/cgi/ask\tAda") == (
        f"iHello, Ada!\t\t{host}\t{port}\r\n"
        f"1A page\t/page.gmi\t{host}\t{port}\r\n.\r\n").encode()
    # The prompt: a search item for the same selector.
    assert cgi.gopher(b"/cgi/ask") == (
        f"7Your name?\t/cgi/ask\t{host}\t{port}\r\n.\r\n").encode()
    assert cgi.gopher(b"/cgi/fail") == (
        f"3Error 51: Nothing here\t\t{host}\t{port}\r\n.\r\n").encode()
    # Another type goes as it is.
    assert cgi.gopher(b"/cgi/hello.py") == b"from python\n"


def test_bad_headers_are_42_with_the_reason_logged(cgi):
    assert cgi.get("/cgi/long") == ("42 The program failed", b"")
    assert cgi.get("/cgi/badstatus") == ("42 The program failed", b"")
    assert cgi.get("/cgi/http") == ("42 The program failed", b"")
    log = cgi.s.log()
    assert "localhost /cgi/long: header line longer than 1024 bytes" in log
    assert "localhost /cgi/badstatus: status out of 10-69" in log
    assert ("localhost /cgi/http: the output does not start with a "
            "two-digit status") in log


def test_stderr_is_logged_escaped_and_rate_limited(cgi):
    assert cgi.get("/cgi/noisy") == ("20 text/plain", b"quiet body\n")
    log = wait_until(lambda: "lines of stderr not logged" in cgi.s.log()
                     and cgi.s.log())
    lines = [l for l in log.splitlines()
             if "localhost /cgi/noisy: stderr: noise" in l]
    assert "localhost /cgi/noisy: stderr: noise 0" in log
    # At most 5 a second (the log's time stamps are to the second).
    per_second = {}
    for l in lines:
        per_second[l[:20]] = per_second.get(l[:20], 0) + 1
    assert 1 <= max(per_second.values()) <= 5, per_second
    dropped = sum(int(n) for n in re.findall(
        r"localhost /cgi/noisy: (\d+) lines of stderr not logged", log))
    assert dropped + len(lines) == 2000
    # Escaped: a control character never reaches the log as it is.
    assert cgi.get("/cgi/escapes") == ("20 text/plain", b"ok\n")
    assert wait_until(lambda: "localhost /cgi/escapes: stderr: "
                      "bell\\x07 tab\\x09 esc\\x1b[31m" in cgi.s.log())


def test_a_script_that_never_answers_is_killed(cgi):
    mark = len(cgi.s.log())
    header, body = cgi.get("/cgi/mute")
    assert (header, body) == ("42 The program failed", b"")
    pid = cgi.log_value("pid", mark)
    child = cgi.log_value("child", mark)
    assert "localhost /cgi/mute: no header within 3 s: killed" in cgi.s.log()
    # Its whole process group goes, and nothing is left unreaped.
    assert wait_until(lambda: gone(pid) and gone(child))
    for r in cgi.runner_pids():
        assert wait_until(lambda: "Z" not in children(r).values())


def test_a_body_that_stalls_is_cut_without_close_notify(cgi):
    """Silent for cgi-timeout once its body began: the connection closes
    without TLS close_notify, so the client can tell the page was cut."""
    mark = len(cgi.s.log())
    t0 = time.monotonic()
    data, notify = cgi.s.gemini_raw(
        f"gemini://localhost:{cgi.gemini_port}/cgi/stalls\r\n".encode())
    assert data == b"20 text/plain\r\nfirst line\n"
    assert notify is False
    assert 2.5 < time.monotonic() - t0 < 10
    assert wait_until(lambda: "the connection is closed" in
                      cgi.s.log()[mark:])


def test_a_script_that_forks_and_exits(cgi):
    mark = len(cgi.s.log())
    assert cgi.get("/cgi/forks") == ("20 text/plain", b"parent done\n")
    child = cgi.log_value("child", mark)
    # What it left in its group is killed, and reaped.
    assert wait_until(lambda: gone(child))
    for r in cgi.runner_pids():
        assert wait_until(lambda: children(r) == {})


def test_a_process_that_leaves_its_group_is_killed_too(cgi):
    mark = len(cgi.s.log())
    assert cgi.get("/cgi/escape") == ("20 text/plain", b"escaped\n")
    child = cgi.log_value("child", mark)
    assert wait_until(lambda: gone(child))
    assert wait_until(lambda: f"process {child} left its program's group: "
                      "killed" in cgi.s.log())


def test_a_fork_bomb_is_bounded_and_others_are_served(cgi):
    result = {}

    def bomb():
        result["bomb"] = cgi.get("/cgi/bomb")

    t = threading.Thread(target=bomb)
    t.start()
    # Others are served meanwhile.
    assert cgi.get("/page.gmi") == ("20 text/gemini; lang=en",
                                    b"# A page\n")
    t.join(60)
    header, body = result["bomb"]
    assert header == "20 text/plain"
    n = int(body.split()[1])
    assert 0 < n < 64, body      # RLIMIT_NPROC of the cgi-user held
    for r in cgi.runner_pids():
        assert wait_until(lambda: children(r) == {})
    assert cgi.get("/cgi/hello.sh")[0] == "20 text/gemini"


def test_a_big_body_streams_with_flat_memory(cgi):
    mark = len(cgi.s.log())
    before = cgi.s.rss_kb("VmRSS")
    with connect(cgi.gemini_port) as t:
        t.sendall(f"gemini://localhost:{cgi.gemini_port}/cgi/big\r\n"
                  .encode())
        got = b""
        while len(got) < 1024 * 1024:
            got += t.recv(65536)
        pid = cgi.log_value("pid", mark)

        # The client reads nothing now: the script ends up blocked in
        # write(2), its output held by the server only up to a bound.
        def blocked():
            with open(f"/proc/{pid}/syscall") as f:
                return f.read().split()[0] == "1"
        assert wait_until(blocked)
        during = cgi.s.rss_kb("VmRSS")
        n = len(got)
        while True:
            b = t.recv(1 << 20)
            if not b:
                break
            n += len(b)
    assert got.startswith(b"20 text/plain\r\nxxxx")
    assert n == len(b"20 text/plain\r\n") + BIG
    cgi.s.assert_memory_flat(before, during)


def test_cgi_max_gives_44(conf_server, tmp_path, public):
    if os.geteuid() != 0:
        pytest.skip("needs root (scripts run as nobody)")
    cgi = Cgi(conf_server, tmp_path, public, site="cgi-max 2")
    held = []
    for _ in range(2):
        t = connect(cgi.gemini_port)
        t.sendall(f"gemini://localhost:{cgi.gemini_port}/cgi/slow\r\n"
                  .encode())
        held.append(t)
    wait_until(lambda: sum(len(children(r)) for r in cgi.runner_pids()) == 2)
    assert cgi.get("/cgi/hello.sh") == ("44 5", b"")
    assert ("localhost" in cgi.gopher(b"/cgi/hello.sh").decode() and
            cgi.gopher(b"/cgi/hello.sh").startswith(
                b"3Busy: try again in 5 seconds\t"))
    assert "cgi-max reached" in cgi.s.log()
    # The slow ones time out (42); the next runs.
    for t in held:
        assert read_response(t) == ("42 The program failed", b"")
        t.close()
    assert cgi.get("/cgi/hello.sh")[0] == "20 text/gemini"


def test_titan_to_a_script_and_the_hook(conf_server, tmp_path, public):
    if os.geteuid() != 0:
        pytest.skip("needs root (scripts run as nobody)")
    crt, key = identity(tmp_path / "ids", "editor")
    cgi = Cgi(conf_server, tmp_path, public, site=f"""titan on
    titan-operator "{fingerprint(crt)}"
    titan-hook "{public / tmp_path.name / 'capsule' / 'hook.sh'}"
""")
    url = f"titan://localhost:{cgi.gemini_port}/cgi/upload/x"
    # To a script: any client; the script decides.
    assert titan(cgi.gemini_port, url, b"line one\nline two\n",
                 mime="text/plain", token="s3cret") == (
        "20 text/plain", b"len=18 type=text/plain token=s3cret proto=TITAN\n"
                         b"line one\nline two\n")
    # An upload to a file: committed, then the hook runs (not waited for).
    header, _ = titan(cgi.gemini_port,
                      f"titan://localhost:{cgi.gemini_port}/uploads/a.gmi",
                      b"# Up\n", ident=(crt, key), mime="text/gemini")
    assert header.startswith("30 ")
    hooked = cgi.cap / "uploads" / "hooked.txt"
    assert wait_until(hooked.exists)
    env = dict(l.split("=", 1) for l in
               wait_until(lambda: hooked.read_text()).splitlines())
    assert env["TITAN_ACTION"] == "upload"
    assert env["TITAN_PATH"] == "/uploads/a.gmi"
    assert env["TITAN_FILE"] == os.path.realpath(cgi.cap) + "/uploads/a.gmi"
    assert env["CONTENT_LENGTH"] == "5"
    assert env["CONTENT_TYPE"] == "text/gemini"
    assert env["TLS_CLIENT_HASH"] == "SHA256:" + fingerprint(crt)[7:]


def test_scripts_never_run_as_root(conf_server, tmp_path, public):
    cap = make_capsule(public / tmp_path.name)
    port = free_port()
    s = conf_server(f"""listen "127.0.0.1"
gemini-port {port}
site "localhost" {{ capsule "{cap}" certs "{tmp_path / 'certs'}"
    location "/cgi/*" {{ cgi on }} }}
""", gemini_port=port)
    if os.geteuid() == 0:
        assert "programs never run as root" in s.wait_log(
            "programs never run as root")
        with connect(port) as t:
            t.sendall(f"gemini://localhost:{port}/cgi/hello.sh\r\n".encode())
            assert read_response(t) == ("42 The program failed", b"")


def test_check_lists_programs_and_warns_of_executables(tmp_path, public):
    import subprocess
    from conftest import BIN
    cap = make_capsule(public / tmp_path.name)
    hook = cap / "hook.sh"
    conf = tmp_path / "a.conf"
    conf.write_text(f"""site "localhost" {{ capsule "{cap}"
    certs "{tmp_path / 'certs'}" titan on titan-hook "{hook}"
    titan-operator "sha256:{'ab' * 32}"
    location "/cgi/*" {{ cgi on }} }}
""")
    out = subprocess.run([BIN, "--check", "-f", str(conf)],
                         capture_output=True, text=True).stdout
    assert f'{cap}/cgi/hello.sh: CGI program /cgi/hello.sh of site ' \
           f'localhost (location "/cgi/*")\n' in out
    assert f"{cap}/cgi/sub/deep: CGI program /cgi/sub/deep" in out
    assert "cgi/readme.txt" not in out
    assert f"{hook}: titan-hook of site localhost\n" in out
    for p in ("tool.sh", "hook.sh", "app/hi"):
        assert (f"{cap}/{p}: warning: executable outside any cgi location: "
                "served as a file, never run\n") in out
    assert out.endswith("0 errors, 3 warnings\n")


def test_a_reload_moves_the_cgi_location_without_dropping_a_request(cgi):
    before = cgi.runner_pids()
    assert len(before) == 1
    with connect(cgi.gemini_port) as t:
        t.sendall(f"gemini://localhost:{cgi.gemini_port}/cgi/nap\r\n"
                  .encode())
        cgi.s.wait_log("localhost /cgi/nap: stderr: napping")
        assert "reloaded" in cgi.s.reload(cgi.text(where="/app/*"))
        # The old runner finishes the script it runs; a new one serves.
        assert read_response(t) == ("20 text/plain", b"nap done\n")
    assert cgi.get("/app/hi") == ("20 text/plain", b"app\n")
    header, body = cgi.get("/cgi/hello.sh")
    assert header.startswith("20 ") and body.startswith(b"#!/bin/sh")
    assert wait_until(lambda: before[0] not in cgi.runner_pids()
                      and len(cgi.runner_pids()) == 1)


def test_a_runner_that_dies_is_started_again(cgi):
    import signal
    old = cgi.runner_pids()
    assert len(old) == 1
    os.kill(old[0], signal.SIGKILL)
    cgi.s.wait_log(f"CGI runner {old[0]} killed by signal 9")
    assert wait_until(lambda: len(cgi.runner_pids()) == 1
                      and cgi.runner_pids() != old)
    assert wait_until(lambda: cgi.get("/cgi/hello.sh")[0] ==
                      "20 text/gemini")


def test_the_guide_s_guestbook_works(conf_server, tmp_path, public):
    """docs/cgi.md's guestbook, as written there, in both protocols."""
    if os.geteuid() != 0:
        pytest.skip("needs root (scripts run as nobody)")
    import pathlib
    doc = (pathlib.Path(__file__).parents[2] / "docs" / "cgi.md").read_text()
    script = doc.split("```python\n", 1)[1].split("```", 1)[0]
    cgi = Cgi(conf_server, tmp_path, public, site=f"""titan on
    titan-operator "sha256:{'ab' * 32}"
""")
    (cgi.cap / "cgi" / "guestbook").write_text(script)
    os.chmod(cgi.cap / "cgi" / "guestbook", 0o755)
    (cgi.cap / ".guestbook").mkdir()
    os.chmod(cgi.cap / ".guestbook", 0o777)
    assert cgi.get("/cgi/guestbook") == (
        "20 text/gemini", b"# Guestbook\n\n=> /cgi/guestbook/sign Sign it\n\n"
                          b"No one has signed yet.\n")
    assert cgi.get("/cgi/guestbook/sign") == (
        "10 Your message for the guestbook", b"")
    assert cgi.get("/cgi/guestbook/sign?Hello%20there,%20%20world") == (
        "20 text/gemini", b"# Thank you\n\n=> /cgi/guestbook Back to the "
                          b"guestbook\n")
    assert cgi.gopher(b"/cgi/guestbook/sign\tFrom Gopher")[:1] == b"i"
    header, body = cgi.get("/cgi/guestbook")
    day = r"\d{4}-\d\d-\d\d"
    assert re.fullmatch(
        rb"# Guestbook\n\n=> /cgi/guestbook/sign Sign it\n\n"
        rb"\* " + day.encode() + rb", someone: Hello there, world\n"
        rb"\* " + day.encode() + rb", someone: From Gopher\n", body), body
    menu = cgi.gopher(b"/cgi/guestbook").decode()
    # A program's page is a menu (type 1); asked, it is a search item.
    assert (f"1Sign it\t/cgi/guestbook/sign\tlocalhost\t{cgi.gopher_port}"
            "\r\n") in menu, menu
    # Never served: the entries' directory is hidden.
    assert cgi.get("/.guestbook/entries.gmi")[0] == "51 Not found"
    assert cgi.get("/cgi/guestbook/sign?a%0Ab")[0] == "59 Bad request"


def test_a_client_that_goes_away_has_its_script_killed(cgi):
    mark = len(cgi.s.log())
    t = connect(cgi.gemini_port)
    t.sendall(f"gemini://localhost:{cgi.gemini_port}/cgi/mute\r\n".encode())
    pid = cgi.log_value("pid", mark)
    child = cgi.log_value("child", mark)
    t.close()
    # Long before cgi-timeout (3 s) would: the client's close is seen.
    assert wait_until(lambda: gone(pid) and gone(child), timeout=2.5)
    assert "no header within" not in cgi.s.log()[mark:]
    assert wait_until(lambda: "client went away" in cgi.s.log()[mark:])


def test_each_cgi_user_has_a_runner_of_its_own(conf_server, tmp_path,
                                               public):
    if os.geteuid() != 0:
        pytest.skip("needs root (scripts run as nobody and daemon)")
    base = public / tmp_path.name
    caps = []
    for name in ("one", "two"):
        cap = base / name
        write_tree(cap, {"index.gmi": "# Home\n",
                         "cgi/who": "#!/bin/sh\nprintf '20 text/plain\\r\\n'"
                                    "\nid -un\n"})
        for p in [base, cap, *cap.rglob("*")]:
            os.chmod(p, 0o755)
        caps.append(cap)
    gemini, g1, g2 = free_port(), free_port(), free_port()
    s = conf_server(f"""listen "127.0.0.1"
gemini-port {gemini}
cgi-user "nobody"
site "localhost" {{ capsule "{caps[0]}" certs "{tmp_path / 'certs'}"
    gopher-port {g1} location "/cgi/*" {{ cgi on }} }}
site "other" {{ capsule "{caps[1]}" certs "{tmp_path / 'certs'}"
    gopher-port {g2} cgi-user "daemon" location "/cgi/*" {{ cgi on }} }}
""", gemini_port=gemini, gopher_ports=[g1, g2])
    for port, user in ((g1, b"nobody"), (g2, b"daemon")):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as g:
            g.sendall(b"/cgi/who\r\n")
            out = b""
            while True:
                b = g.recv(65536)
                if not b:
                    break
                out += b
        assert out == user + b"\n"
    runners = [p for p in children(s.proc.pid)
               if open(f"/proc/{p}/comm").read() == "attache-cgi\n"]
    assert len(runners) == 2
