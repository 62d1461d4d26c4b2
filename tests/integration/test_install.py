"""make install / uninstall into a DESTDIR, and what they install: the
binary serving the installed example, the man pages (mandoc -Tlint, every
option and directive), the systemd unit (systemd-analyze verify and
security) and the logrotate snippet."""
import os
import pathlib
import re
import signal
import stat
import subprocess

import pytest

from conftest import (BIN, ROOT, SANITIZED, assert_serves_office,
                      free_low_port, free_port, reachable_copy, wait_port)

# What `make install` puts where, relative to DESTDIR, with its mode.
LAYOUT = {
    "usr/local/sbin/attache": 0o755,
    "usr/local/share/man/man8/attache.8": 0o644,
    "usr/local/share/man/man5/attache.conf.5": 0o644,
    "usr/local/share/examples/attache/attache.conf.example": 0o644,
    "usr/local/lib/systemd/system/attache.service": 0o644,
    "etc/logrotate.d/attache": 0o644,
}
UNIT = "usr/local/lib/systemd/system/attache.service"
EXAMPLE = "usr/local/share/examples/attache/attache.conf.example"
PAGES = ["usr/local/share/man/man8/attache.8",
         "usr/local/share/man/man5/attache.conf.5"]
EXEC_START = b"ExecStart=/usr/local/sbin/attache -f /etc/attache/attache.conf\n"
SECURITY_LIMIT = 2.5

# The options and directives the issues name (7 to 11); the tests below
# also read the code, so that a merged directive cannot miss its page.
ISSUE_OPTIONS = [
    "config", "capsule", "certs", "hostname", "listen", "gemini-port",
    "gopher-port", "gopher-public-port", "gopher-width", "lang", "workers",
    "check", "help", "version", "user", "log", "log-style", "proxy-protocol",
    "max-connections", "max-connections-per-address", "rate-limit",
]
ISSUE_DIRECTIVES = [
    "listen", "gemini-port", "workers", "gopher-width", "site", "alias",
    "capsule", "certs", "lang", "gopher-port", "gopher-public-port",
    "listing", "location", "redirect", "redirect-temporary", "gone",
    "max-connections", "max-connections-per-address", "rate-limit",
    "search", "search-path", "changes-path", "require-certificate",
    "allow-certificate", "allow-certificates", "titan", "titan-operator",
    "titan-max-size", "titan-delete", "titan-history", "user", "log",
    "log-style", "access-log",
]


# What make install reads besides the build (its objects and binary).
INSTALL_READS = ["Makefile", "scripts", "src", "man", "contrib",
                 "attache.conf.example"]


def make(*args, as_user=(), root=ROOT):
    """make in the repository (or a copy at root), on the build under
    test, with nothing of the make that runs the suite (its MAKEFLAGS
    carry its SANITIZE)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    r = subprocess.run([*as_user, "make", "--no-print-directory", "-C",
                        str(root), f"SANITIZE={1 if SANITIZED else 0}", *args],
                       capture_output=True, env=env, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr).decode(errors="replace")
    return r


def tree(root: pathlib.Path):
    """Every file and symlink beneath root, as relative paths."""
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if not p.is_dir() or p.is_symlink()}


@pytest.fixture(scope="module")
def dest(tmp_path_factory):
    d = tmp_path_factory.mktemp("destdir")
    make("install", f"DESTDIR={d}")
    return d


def test_install_puts_each_file_in_its_place(dest):
    assert tree(dest) == set(LAYOUT)
    for rel, mode in LAYOUT.items():
        assert stat.S_IMODE((dest / rel).stat().st_mode) == mode, rel
    assert (dest / "usr/local/sbin/attache").read_bytes() == \
        pathlib.Path(BIN).read_bytes()
    for rel, src in [("usr/local/share/man/man8/attache.8", "man/attache.8"),
                     ("usr/local/share/man/man5/attache.conf.5",
                      "man/attache.conf.5"),
                     ("usr/local/share/examples/attache/attache.conf.example",
                      "attache.conf.example"),
                     ("etc/logrotate.d/attache", "contrib/attache.logrotate")]:
        assert (dest / rel).read_bytes() == (ROOT / src).read_bytes(), rel
    unit = (dest / UNIT).read_bytes()
    assert unit == (ROOT / "contrib/attache.service.in").read_bytes().replace(
        b"@SBINDIR@", b"/usr/local/sbin")
    assert EXEC_START in unit.splitlines(keepends=True)


def test_install_into_a_destdir_needs_no_root(dest, reachable_tmp):
    """Run as nobody when the suite runs as root (as CI does), in a copy
    of what make install reads: the checkout may be where nobody can
    enter (/root).  The copy keeps the build's times: nothing rebuilds."""
    as_user, root = [], ROOT
    if os.geteuid() == 0:
        as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                   "--clear-groups"]
        root = reachable_tmp / "checkout"
        build, binary = (("build-san", "build-san/attache") if SANITIZED
                         else ("build", "attache"))
        # An object (and its dependencies) per source, in src's folders.
        objects = [pathlib.Path(build) / c.relative_to(ROOT / "src")
                   .with_suffix(ext) for c in (ROOT / "src").rglob("*.c")
                   for ext in (".o", ".d")]
        for rel in [*INSTALL_READS, *objects, binary]:
            reachable_copy(ROOT / rel, root / rel)
    d = reachable_tmp / "destdir"
    d.mkdir()
    if as_user:
        os.chown(d, 65534, 65534)
    make("install", f"DESTDIR={d}", as_user=as_user, root=root)
    assert tree(d) == set(LAYOUT)
    assert (d / "usr/local/sbin/attache").read_bytes() == \
        pathlib.Path(BIN).read_bytes()
    if as_user:
        assert {(d / rel).stat().st_uid for rel in LAYOUT} == {65534}


def test_prefix_usr_puts_the_unit_where_debian_does(tmp_path):
    make("install", f"DESTDIR={tmp_path}", "PREFIX=/usr")
    assert tree(tmp_path) == {
        "usr/sbin/attache", "usr/share/man/man8/attache.8",
        "usr/share/man/man5/attache.conf.5",
        "usr/share/examples/attache/attache.conf.example",
        "lib/systemd/system/attache.service", "etc/logrotate.d/attache"}
    unit = (tmp_path / "lib/systemd/system/attache.service").read_bytes()
    assert (b"ExecStart=/usr/sbin/attache -f /etc/attache/attache.conf\n"
            in unit.splitlines(keepends=True))
    make("uninstall", f"DESTDIR={tmp_path}", "PREFIX=/usr")
    assert tree(tmp_path) == set()


def test_uninstall_removes_exactly_what_was_installed(tmp_path):
    # Files of others, in the very directories attache installs into.
    others = {"usr/local/sbin/other": b"other binary\n",
              "usr/local/share/man/man8/other.8": b".Dd\n",
              "usr/local/lib/systemd/system/other.service": b"[Unit]\n",
              "usr/local/share/examples/other/x.conf": b"x\n",
              "etc/logrotate.d/other": b"/var/log/other.log {}\n",
              "etc/attache/attache.conf": b"# the admin's\n"}
    for rel, data in others.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    make("install", f"DESTDIR={tmp_path}")
    assert tree(tmp_path) == set(LAYOUT) | set(others)
    make("uninstall", f"DESTDIR={tmp_path}")
    assert tree(tmp_path) == set(others)
    for rel, data in others.items():
        assert (tmp_path / rel).read_bytes() == data
    # What remains of attache's own directories is empty; its examples
    # directory, its own, is gone.
    assert not (tmp_path / "usr/local/share/examples/attache").exists()
    for d in ["usr/local/share/man/man5", "usr/local/lib/systemd/system"]:
        assert [p.name for p in (tmp_path / d).iterdir()
                if p.name != "other.service"] == []
    # Uninstalling twice is harmless.
    make("uninstall", f"DESTDIR={tmp_path}")
    assert tree(tmp_path) == set(others)


def proc_status(pid):
    text = pathlib.Path(f"/proc/{pid}/status").read_text()
    return dict(l.split(":\t", 1) for l in text.splitlines() if ":\t" in l)


def children(pid):
    """The /proc status of each child process of pid."""
    out = []
    for d in pathlib.Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                st = proc_status(d.name)
            except OSError:
                continue
            if st.get("PPid") == str(pid):
                out.append(st)
    return out


def serve_installed_example(dest, base, gopher, wrap=(), preexec_fn=None,
                            user=None):
    """Starts the installed binary on a copy of the installed example in
    base, its ports rewritten (Gemini on a free one), as user if given;
    checks a Gemini and a Gopher answer and stops it.  Returns its log and
    the /proc status of its process and of its children while serving."""
    gemini = free_port()
    text = (dest / EXAMPLE).read_text()
    for old, new in [("\ngemini-port 1965\n", f"\ngemini-port {gemini}\n"),
                     ("\tgopher-port 7070\n", f"\tgopher-port {gopher}\n"),
                     ('\n#listen "127.0.0.1"\n', '\nlisten "127.0.0.1"\n')]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    if user is not None:
        text = f'user "{user}"\n' + text
    conf = base / "attache.conf"
    conf.write_text(text)
    reachable_copy(ROOT / "capsule", base / "capsule")
    logpath = base / "attache.log"
    with open(logpath, "wb") as log:
        proc = subprocess.Popen([*wrap, str(dest / "usr/local/sbin/attache"),
                                 "-f", str(conf)], stdout=log,
                                stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
    try:
        assert wait_port(gemini) and wait_port(gopher), logpath.read_text()
        menu = assert_serves_office(gemini, gopher)
        assert menu.endswith(b".\r\n")
        status = proc_status(proc.pid), children(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
    out = logpath.read_text(errors="replace")
    assert rc == 0, out
    assert "generated certificate" in out
    assert "ERROR: AddressSanitizer" not in out and "runtime error:" not in out
    return out, status


def test_the_installed_binary_serves_the_installed_example(dest, tmp_path):
    serve_installed_example(dest, tmp_path, free_port())


CAPS = {"CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7,
        "CAP_NET_BIND_SERVICE": 10, "CAP_LEASE": 28}


@pytest.mark.skipif(os.geteuid() != 0, reason="starts as root, as the unit")
def test_the_units_capabilities_are_enough_to_start(dest, reachable_tmp):
    """What the unit leaves attache (its capability bounding set, no new
    privileges, its umask) is enough to bind a port below 1024, make and
    read a root-only key and, once `user` exists, serve as nobody."""
    unit = (dest / UNIT).read_text()
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", unit, re.M)[1].split()
    assert sorted(caps) == sorted(CAPS)
    assert re.search(r"^NoNewPrivileges=yes$", unit, re.M)
    umask = int(re.search(r"^UMask=([0-7]+)$", unit, re.M)[1], 8)
    bounding = ",".join(["-all"] + [f"+{c[4:].lower()}" for c in caps])
    wrap = ["setpriv", f"--bounding-set={bounding}", "--inh-caps=-all",
            "--no-new-privs"]
    user = "nobody" if "user" in code_directives() else None
    # Where nobody may read the capsule (pytest's directories are root's).
    base = reachable_tmp
    _, (main, kids) = serve_installed_example(
        dest, base, free_low_port(), wrap, lambda: os.umask(umask), user)
    assert int(main["CapBnd"], 16) == sum(1 << n for n in CAPS.values())
    assert main["NoNewPrivs"] == "1"
    key = base / "certs/localhost.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    if user is not None:
        # The server process (CAP_LEASE alone) and the key process.
        assert sorted((k["Name"], k["Uid"].split(), k["CapEff"])
                      for k in kids) == [
            ("attache", ["65534"] * 4, "0000000010000000"),
            ("attache-keys", ["65534"] * 4, "0000000000000000")], kids


def test_man_pages_are_mandoc_lint_clean(dest):
    for rel in PAGES:
        r = subprocess.run(["mandoc", "-Tlint", "-W", "warning", dest / rel],
                           capture_output=True)
        assert (r.returncode, r.stdout, r.stderr) == (0, b"", b""), rel
        # Style too; mandoc looks the cross-references up among the pages
        # installed in the system: the two pages' own references to each
        # other are found once they are installed there, and only then.
        r = subprocess.run(["mandoc", "-Tlint", "-W", "all", dest / rel],
                           capture_output=True)
        lines = [l for l in r.stdout.decode().splitlines()
                 if not re.search(r"STYLE: referenced manual not found: "
                                  r"Xr (attache 8|attache\.conf 5)", l)]
        assert lines == [], rel
        # Debian's man formats them with groff: no warning there either.
        r = subprocess.run(["groff", "-mandoc", "-Tutf8", "-ww", "-z",
                            dest / rel], capture_output=True)
        assert (r.returncode, r.stdout, r.stderr) == (0, b"", b""), rel


def test_every_option_of_help_is_in_attache_8(dest):
    r = subprocess.run([BIN, "--help"], capture_output=True, timeout=20)
    assert r.returncode == 0
    options = set(re.findall(r"(?<![\w-])--([a-z][a-z-]*)", r.stdout.decode()))
    assert {"config", "capsule", "check", "help", "version"} <= options
    page = (dest / PAGES[0]).read_text()
    items = set(re.findall(r"^\.It\b.*$", page, re.M))
    documented = {o for o in re.findall(r"\bFl -([a-z][a-z-]*)",
                                        "\n".join(items))}
    assert sorted(options - documented) == []
    assert sorted(set(ISSUE_OPTIONS) - documented) == []
    synopsis = page.split(".Sh SYNOPSIS", 1)[1].split(".Sh DESCRIPTION")[0]
    listed = set(re.findall(r"(?:\bFl|\|) -([a-z][a-z-]*)", synopsis))
    assert sorted((options | set(ISSUE_OPTIONS)) - listed - {"config"}) == []


def code_directives():
    src = (ROOT / "src/conf/conf_directives.c").read_text()
    table = src.split("directives[] = {", 1)[1].split("\n};", 1)[0]
    return set(re.findall(r'\{\s*"([a-z][a-z-]*)"', table))


def test_every_directive_of_the_code_is_in_attache_conf_5(dest):
    names = code_directives()
    assert {"listen", "site", "location", "gone"} <= names
    page = (dest / PAGES[1]).read_text()
    documented = set(re.findall(r"^\.It Ic ([a-z][a-z-]*)", page, re.M))
    assert sorted(names - documented) == []
    assert sorted(set(ISSUE_DIRECTIVES) - documented) == []


def test_systemd_analyze_verify_accepts_the_unit(dest, tmp_path):
    # No systemd runs here: the unit is verified as a file, with ExecStart
    # pointing into DESTDIR (verify wants an executable there) and man
    # finding the installed pages (verify runs it on Documentation=).
    unit = (dest / UNIT).read_bytes()
    (tmp_path / "attache.service").write_bytes(unit.replace(
        b"ExecStart=/usr/local/sbin/attache",
        b"ExecStart=" + str(dest).encode() + b"/usr/local/sbin/attache"))
    env = dict(os.environ, MANPATH=str(dest / "usr/local/share/man"))
    r = subprocess.run(["systemd-analyze", "verify",
                        str(tmp_path / "attache.service")],
                       capture_output=True, env=env, timeout=60)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"", b"")


def test_systemd_analyze_security_rates_the_unit_ok(dest, capsys):
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        str(dest / UNIT)], capture_output=True, timeout=60)
    out = r.stdout.decode()
    m = re.search(r"Overall exposure level for attache\.service: "
                  r"(\d+\.\d+) (\w+)", out)
    assert r.returncode == 0 and m, out + r.stderr.decode()
    figure = (f"systemd-analyze security attache.service: {m[1]} {m[2]} "
              f"(at most {SECURITY_LIMIT})")
    with capsys.disabled():
        print(f"\n{figure}")
    assert float(m[1]) <= SECURITY_LIMIT, figure + "\n" + out


def test_logrotate_reads_the_snippet(dest):
    snippet = (dest / "etc/logrotate.d/attache").read_text()
    assert not re.search(r"^\s*copytruncate", snippet, re.M)
    assert "\tnocreate\n" in snippet
    r = subprocess.run(["logrotate", "-d", str(dest / "etc/logrotate.d/attache")],
                       capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 0, out
    assert "rotating pattern: /var/log/attache/*.log  weekly (8 rotations)" \
        in out
    assert "error" not in out.lower(), out


def test_logrotate_renames_then_signals_the_main_process(dest, tmp_path):
    """The snippet run for real on a log of its own: the file is renamed,
    no new one is made (attache makes it on SIGUSR1), and the postrotate
    script asks systemd to signal attache's main process, through a
    systemctl that only records what it is asked."""
    logs = tmp_path / "log"
    logs.mkdir()
    (logs / "attache.log").write_bytes(b"line 1\n")
    snippet = (dest / "etc/logrotate.d/attache").read_text()
    assert snippet.count("/var/log/attache/*.log {") == 1
    conf = tmp_path / "logrotate.conf"
    conf.write_text(snippet.replace("/var/log/attache/", f"{logs}/"))
    conf.chmod(0o644)
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "calls"
    (fake / "systemctl").write_text(
        f'#!/bin/sh\necho "$*" >> {calls}\nexit 0\n')
    (fake / "systemctl").chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
    r = subprocess.run(["logrotate", "-f", "-s", str(tmp_path / "state"),
                        str(conf)], capture_output=True, env=env, timeout=60)
    assert r.returncode == 0, (r.stdout + r.stderr).decode()
    assert sorted(p.name for p in logs.iterdir()) == ["attache.log.1"]
    assert (logs / "attache.log.1").read_bytes() == b"line 1\n"
    assert calls.read_text() == (
        "-q is-active attache.service\n"
        "kill --kill-whom=main --signal=USR1 attache.service\n")
