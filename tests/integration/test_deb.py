"""The Debian package (debian/, `make deb`): built from a copy of the tree,
lintian-clean, then installed on this machine with dpkg -i, served the way
its unit starts it, upgraded to a rebuild with a local edit of its
conffile kept, removed, purged, and nothing of it left.

The package is built from the source, whatever binary is under test: it
is built and tested once, in the plain pass of `make test`.  What installs
into the system runs as root only, one run at a time on the machine (a
lock), skips where it could disturb what is there (attache installed,
/srv/gemini present), and purges whatever happens."""
import contextlib
import fcntl
import os
import pathlib
import pwd
import re
import shlex
import signal
import stat
import subprocess
import time

import pytest

from conftest import (ROOT, SANITIZED, assert_serves_office, free_low_port,
                      free_port, wait_port)

pytestmark = pytest.mark.skipif(
    SANITIZED, reason="the package is built from the source, not from the "
    "binary under test: it is tested once, in the plain pass")

CONF = pathlib.Path("/etc/attache/attache.conf")
UNIT = pathlib.Path("/lib/systemd/system/attache.service")
CERTS = pathlib.Path("/var/lib/attache/certs")
LOG = pathlib.Path("/var/log/attache/attache.log")
SRV = pathlib.Path("/srv/gemini")
WANTS = pathlib.Path(
    "/etc/systemd/system/multi-user.target.wants/attache.service")
SECURITY_LIMIT = 2.5
CAPS = {"CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7,
        "CAP_NET_BIND_SERVICE": 10, "CAP_LEASE": 28}


def makefile_version():
    return re.search(r"^VERSION := (\S+)$",
                     (ROOT / "Makefile").read_text(), re.M)[1]


def clean_env():
    """The environment without the make that runs the suite (its
    MAKEFLAGS carry its SANITIZE)."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def source_files():
    """Every path of the checkout but the builds' and the tools' own."""
    skip = {"build", "build-san", "attache", ".git", ".pytest_cache"}
    return {str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
            if p.relative_to(ROOT).parts[0] not in skip
            and "__pycache__" not in p.parts}


def beside_the_tree():
    return {p.name for p in ROOT.parent.glob("attache[_-]*")}


def make_deb(out, *args):
    r = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT),
                        "deb", f"DEB_DIR={out}", *args],
                       capture_output=True, env=clean_env(), timeout=1800)
    text = (r.stdout + r.stderr).decode(errors="replace")
    assert r.returncode == 0, text
    return text


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """`make deb` into a directory of its own, then the same source
    rebuilt as VERSION+b1 (for the upgrade)."""
    tree, beside = source_files(), beside_the_tree()
    base = tmp_path_factory.mktemp("deb")
    first, rebuild = base / "first", base / "rebuild"
    make_deb(first)
    make_deb(rebuild, "DEB_REBUILD=1")
    # Nothing of the build in the tree, nor beside it (where
    # dpkg-buildpackage writes when run in the tree itself).
    assert source_files() == tree
    assert beside_the_tree() == beside
    version = makefile_version()
    return {"dir": first, "version": version,
            "deb": first / f"attache_{version}_amd64.deb",
            "changes": first / f"attache_{version}_amd64.changes",
            "rebuild": rebuild / f"attache_{version}+b1_amd64.deb",
            "rebuild_dir": rebuild}


def test_the_changelog_says_the_makefiles_version():
    first = (ROOT / "debian/changelog").read_text().splitlines()[0]
    m = re.match(r"attache \(([^)]+)\) \S+; urgency=\w+$", first)
    assert m, first
    assert m[1] == makefile_version()
    # Native: the version is the project's, with no Debian revision.
    assert (ROOT / "debian/source/format").read_text() == "3.0 (native)\n"
    assert "-" not in m[1]


def test_make_deb_installs_what_the_build_depends_on():
    """What need-packages installs for `make deb` covers the
    Build-Depends, and build-essential, which dpkg-buildpackage adds."""
    r = subprocess.run(["make", "--no-print-directory", "-s", "-C", str(ROOT),
                        "--eval", "show-deb-debs: ; @echo $(DEB_DEBS)",
                        "show-deb-debs"], capture_output=True, env=clean_env(),
                       timeout=60, check=True)
    debs = set(r.stdout.decode().split())
    control = (ROOT / "debian/control").read_text()
    field = re.search(r"^Build-Depends:(.*?)^\S", control, re.M | re.S)[1]
    needed = {"build-essential", "lintian"}
    for dep in filter(None, (d.strip() for d in field.split(","))):
        name = re.match(r"[a-z0-9.+-]+", dep)[0]
        needed.add("debhelper" if name.startswith(("debhelper-compat",
                                                   "dh-sequence-"))
                   else name)
    assert sorted(needed - debs) == []


def test_make_deb_leaves_its_outputs_only_in_its_directory(packages):
    v = packages["version"]
    assert sorted(p.name for p in packages["dir"].iterdir()) == sorted([
        f"attache_{v}_amd64.deb", f"attache-dbgsym_{v}_amd64.deb",
        f"attache_{v}_amd64.buildinfo", f"attache_{v}_amd64.changes"])
    assert sorted(p.name for p in packages["rebuild_dir"].iterdir()) == \
        sorted([f"attache_{v}+b1_amd64.deb", f"attache-dbgsym_{v}+b1_amd64.deb",
                f"attache_{v}+b1_amd64.buildinfo",
                f"attache_{v}+b1_amd64.changes"])


def test_lintian_finds_no_error_and_no_warning(packages, capsys):
    for target in [packages["deb"], packages["changes"]]:
        r = subprocess.run(["lintian", "--info", "--display-level", ">=info",
                            str(target)], capture_output=True, timeout=900)
        out = r.stdout.decode(errors="replace")
        tags = [l for l in out.splitlines() if re.match(r"[EWIPXO]: ", l)]
        with capsys.disabled():
            print(f"\nlintian {target.name}: " +
                  ("; ".join(tags) if tags else "no tag"))
        assert r.returncode == 0, out + r.stderr.decode(errors="replace")
        assert [t for t in tags if t[0] in "EW"] == [], out
    # An override says why, on the comment line above it.
    for f in (ROOT / "debian").rglob("*lintian-overrides"):
        lines = f.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.strip() and not line.startswith("#"):
                assert i > 0 and lines[i - 1].startswith("# "), (f, line)


def deb_paths(deb):
    """The paths a .deb installs, as dpkg -L names them."""
    out = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)],
                         capture_output=True, check=True).stdout
    names = subprocess.run(["tar", "-t"], input=out, capture_output=True,
                           check=True).stdout.decode().splitlines()
    return {("/" + n.lstrip("./")).rstrip("/") or "/" for n in names} - {"/"}


def deb_file(deb, path):
    out = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)],
                         capture_output=True, check=True).stdout
    return subprocess.run(["tar", "-xO", "." + path], input=out,
                          capture_output=True, check=True).stdout


def test_the_package_holds_what_an_administrator_needs(packages, tmp_path):
    deb = packages["deb"]
    paths = deb_paths(deb)
    for p in ["/usr/sbin/attache", "/usr/share/man/man8/attache.8.gz",
              "/usr/share/man/man5/attache.conf.5.gz", str(CONF), str(UNIT),
              "/etc/logrotate.d/attache", "/usr/lib/sysusers.d/attache.conf",
              "/usr/share/doc/attache/README.Debian.gz",
              "/usr/share/doc/attache/copyright",
              "/usr/share/doc/attache/examples/attache.conf.example",
              "/usr/share/attache/capsule/index.gmi"]:
        assert p in paths, p
    # /srv, /var/lib and /var/log are made by the maintainer scripts.
    assert not [p for p in paths if p.startswith(("/srv", "/var"))]
    ctl = subprocess.run(["dpkg-deb", "-I", str(deb), "conffiles"],
                         capture_output=True, check=True).stdout.decode()
    assert sorted(ctl.split()) == ["/etc/attache/attache.conf",
                                   "/etc/logrotate.d/attache"]

    # The unit: upstream's, for /usr/sbin, writing /var/lib/attache/certs.
    unit = deb_file(deb, str(UNIT)).decode()
    upstream = (ROOT / "contrib/attache.service.in").read_text()
    assert unit == upstream.replace("@SBINDIR@", "/usr/sbin").replace(
        "/etc/attache/certs", "/var/lib/attache/certs")
    assert "\nExecStart=/usr/sbin/attache -f /etc/attache/attache.conf\n" \
        in unit
    assert "\nReadWritePaths=-/var/lib/attache/certs\n" in unit

    # The default configuration: /srv/gemini for localhost on 1965 and 70.
    conf = deb_file(deb, str(CONF)).decode()
    directives = [l.strip() for l in conf.splitlines()
                  if l.strip() and not l.strip().startswith("#")]
    assert directives == [
        'user "_attache"', 'log "/var/log/attache/attache.log"',
        "gemini-port 1965", 'site "localhost" {', 'capsule "/srv/gemini"',
        'certs "/var/lib/attache/certs"', "gopher-port 70", 'lang "en"', "}"]
    sysusers = deb_file(deb, "/usr/lib/sysusers.d/attache.conf").decode()
    assert re.search(r"^u _attache - ", sysusers, re.M)

    # Hardened as dpkg-buildflags says: full RELRO, and fortified calls.
    binary = tmp_path / "attache"
    binary.write_bytes(deb_file(deb, "/usr/sbin/attache"))
    dynamic = subprocess.run(["readelf", "-d", "-W", str(binary)],
                             capture_output=True, check=True).stdout.decode()
    assert "BIND_NOW" in dynamic and "PIE" in dynamic
    segments = subprocess.run(["readelf", "-l", "-W", str(binary)],
                              capture_output=True, check=True).stdout.decode()
    assert "GNU_RELRO" in segments
    symbols = subprocess.run(["readelf", "--dyn-syms", "-W", str(binary)],
                             capture_output=True, check=True).stdout.decode()
    assert re.search(r"__\w+_chk\b", symbols)


def test_the_maintainer_scripts_leave_the_service_to_debhelper(packages,
                                                              tmp_path):
    """Enabling, starting and stopping are debhelper's deb-systemd-helper
    and deb-systemd-invoke snippets; the only systemctl is theirs."""
    out = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(packages["deb"]), str(out)],
                   check=True)
    scripts = {p.name: p.read_text() for p in out.iterdir()
               if p.name in ("preinst", "postinst", "prerm", "postrm")}
    assert "deb-systemd-helper enable 'attache.service'" in scripts["postinst"]
    assert re.search(r"deb-systemd-invoke \$_dh_action 'attache.service'",
                     scripts["postinst"])
    assert "deb-systemd-invoke stop 'attache.service'" in scripts["prerm"]
    assert "deb-systemd-helper purge 'attache.service'" in scripts["postrm"]
    assert "systemd-sysusers" in scripts["postinst"]
    for name, text in scripts.items():
        own = re.sub(r"# Automatically added by dh_.*?# End automatically "
                     r"added section\n", "", text, flags=re.S)
        assert "systemctl" not in own and "adduser" not in own, name


# --- Installed on this machine ----------------------------------------------

# Pages man formatted (for systemd-analyze verify's Documentation=): man's
# cache, not the package's; the test removes what it made there.
MAN_CACHE = "/var/cache/man"


def man_cache():
    return {str(p) for p in pathlib.Path(MAN_CACHE).glob("cat*/attache*")}


def attache_names():
    """Every path whose name says attache, where a package or its scripts
    could leave one."""
    found = set()
    for top in ["/etc", "/usr", "/var", "/srv", "/opt"]:
        for d, dirs, files in os.walk(top):
            if d in ("/var/tmp", MAN_CACHE):
                dirs[:] = []
                continue
            for n in dirs + files:
                if re.search(r"(^|[._-])attache([._-]|$)", n):
                    found.add(os.path.join(d, n))
    return found


def package_status():
    """dpkg's status and version of attache, or "" when dpkg has none."""
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Status} ${Version}",
                        "attache"], capture_output=True)
    out = r.stdout.decode() if r.returncode == 0 else ""
    return "" if " not-installed" in out else out


@contextlib.contextmanager
def dpkg_frontend_lock(timeout=900):
    """The lock apt takes while it works: another worker's apt-get may be
    running.  dpkg is then told it is held (DPKG_FRONTEND_LOCKED)."""
    fd = os.open("/var/lib/dpkg/lock-frontend", os.O_RDWR | os.O_CREAT,
                 0o640)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)


def dpkg(*args, check=True):
    """dpkg, never asking (a question about a conffile fails)."""
    with dpkg_frontend_lock():
        r = subprocess.run(["dpkg", *args], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=600,
                           env=dict(clean_env(), DPKG_FRONTEND_LOCKED="1",
                                    DEBIAN_FRONTEND="noninteractive"))
    out = (r.stdout + r.stderr).decode(errors="replace")
    assert r.returncode == 0 or not check, f"dpkg {' '.join(args)}:\n{out}"
    return out


def stop_the_service_systemd_started():
    """Where systemd runs, dpkg -i starts (or restarts) the service on
    the configured ports; the test serves with its own process."""
    if os.path.isdir("/run/systemd/system"):
        subprocess.run(["systemctl", "stop", "attache.service"],
                       capture_output=True, timeout=120)


def proc_status(pid):
    text = pathlib.Path(f"/proc/{pid}/status").read_text()
    return dict(l.split(":\t", 1) for l in text.splitlines() if ":\t" in l)


def children(pid):
    try:
        kids = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [proc_status(k) for k in kids.split()]


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def log_since(offset):
    return LOG.read_bytes()[offset:].decode(errors="replace") \
        if LOG.exists() else ""


def serve_as_the_unit_does(tmp_path, gemini, gopher):
    """Runs the installed unit's ExecStart on the installed configuration,
    with what the unit leaves it (capability bounding set, no new
    privileges, umask); fetches the office's page over Gemini and its
    menu over Gopher, then stops it.  Returns the log lines it wrote and
    the /proc status of the processes serving."""
    unit = UNIT.read_text()
    argv = shlex.split(re.search(r"^ExecStart=(.*)$", unit, re.M)[1])
    assert argv == ["/usr/sbin/attache", "-f", str(CONF)]
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", unit, re.M)[1].split()
    assert sorted(caps) == sorted(CAPS)
    assert re.search(r"^NoNewPrivileges=yes$", unit, re.M)
    umask = int(re.search(r"^UMask=([0-7]+)$", unit, re.M)[1], 8)
    bounding = ",".join(["-all"] + [f"+{c[4:].lower()}" for c in caps])
    wrap = ["setpriv", f"--bounding-set={bounding}", "--inh-caps=-all",
            "--no-new-privs"]
    offset = LOG.stat().st_size if LOG.exists() else 0
    out = tmp_path / f"stderr-{time.monotonic_ns()}"
    with open(out, "wb") as f:
        proc = subprocess.Popen([*wrap, *argv], stdout=f,
                                stderr=subprocess.STDOUT,
                                preexec_fn=lambda: os.umask(umask))
    try:
        ok = (wait_port(gemini, timeout=60) and wait_port(gopher, timeout=60)
              and wait_for(lambda: "SIGHUP reloads" in log_since(offset)))
        assert ok, out.read_text(errors="replace") + log_since(offset)
        assert_serves_office(gemini, gopher)
        status = proc_status(proc.pid), children(proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    assert rc == 0, out.read_text(errors="replace") + log_since(offset)
    return log_since(offset), status


@pytest.fixture
def machine(tmp_path):
    """This machine, for one installation at a time: skips where the test
    would disturb what is there; after it, whatever happened, attache
    purged and what the test's installation left for the administrator
    (the user, /srv/gemini) removed."""
    if os.geteuid() != 0:
        pytest.skip("installs the package with dpkg -i: needs root")
    os.makedirs("/run/lock", exist_ok=True)
    with open("/run/lock/attache-test-deb.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if package_status():
            pytest.skip("attache is installed here (dpkg-query: "
                        f"{package_status()}): the test would replace it")
        if SRV.exists() or SRV.is_symlink():
            pytest.skip("/srv/gemini exists: the package would leave it, and "
                        "the test must not touch it")
        try:
            pwd.getpwnam("_attache")
            user_before = True
        except KeyError:
            user_before = False
        srv_before = os.path.isdir("/srv")
        cache_before = man_cache()
        try:
            yield
        finally:
            if package_status():
                dpkg("--purge", "attache", check=False)
            for p in man_cache() - cache_before:
                os.unlink(p)
            subprocess.run(["rm", "-rf", str(SRV)])
            if not srv_before:
                subprocess.run(["rmdir", "/srv"], capture_output=True)
            if not user_before:
                subprocess.run(["userdel", "_attache"], capture_output=True)
                subprocess.run(["groupdel", "_attache"], capture_output=True)


def test_install_serve_upgrade_remove_purge(packages, machine, tmp_path):
    version = packages["version"]
    names_before = attache_names()
    listed = deb_paths(packages["deb"]) | deb_paths(packages["rebuild"])
    existed = {p for p in listed if os.path.lexists(p)}

    # --- dpkg -i ---------------------------------------------------------
    dpkg("-i", str(packages["deb"]))
    assert package_status() == f"install ok installed {version}"
    installed = set(subprocess.run(
        ["dpkg", "-L", "attache"], capture_output=True, check=True)
        .stdout.decode().splitlines()) - {"/."}
    assert installed == deb_paths(packages["deb"])
    user = pwd.getpwnam("_attache")
    assert user.pw_shell == "/usr/sbin/nologin" and user.pw_uid < 1000
    for d, mode in [(CERTS, 0o700), (CERTS.parent, 0o755),
                    (LOG.parent, 0o750), (SRV, 0o755)]:
        st = d.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (mode, 0), d
    assert list(CERTS.iterdir()) == []
    capsule = sorted(p.name for p in (ROOT / "capsule").iterdir())
    assert sorted(p.name for p in SRV.iterdir()) == capsule
    for name in capsule:
        assert (SRV / name).read_bytes() == (ROOT / "capsule" / name) \
            .read_bytes()
    # Enabled (debhelper's deb-systemd-helper), to start where systemd runs.
    assert os.readlink(WANTS) == str(UNIT)

    # The installed unit, as systemd reads it; its Documentation= finds
    # the installed pages.
    r = subprocess.run(["systemd-analyze", "verify", str(UNIT)],
                       capture_output=True, timeout=120)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"", b"")
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        str(UNIT)], capture_output=True, timeout=120)
    m = re.search(r"Overall exposure level for attache\.service: "
                  r"(\d+\.\d+)", r.stdout.decode())
    assert r.returncode == 0 and m and float(m[1]) <= SECURITY_LIMIT, \
        r.stdout.decode()

    # The installed configuration, as it comes, checks clean.
    r = subprocess.run(["/usr/sbin/attache", "--check", "-f", str(CONF)],
                       capture_output=True, timeout=120)
    assert (r.returncode, r.stdout.decode()) == (0, "0 errors, 0 warnings\n"), \
        r.stderr.decode()
    stop_the_service_systemd_started()

    # --- a local edit of the conffile: this test's ports -----------------
    # (1965 and 70 may be in use; a Gopher port below 1024 still needs
    # the unit's CAP_NET_BIND_SERVICE.)
    gemini, gopher = free_port(), free_low_port()
    text = CONF.read_text()
    for old, new in [("\ngemini-port 1965\n", f"\ngemini-port {gemini}\n"),
                     ("\tgopher-port 70\n", f"\tgopher-port {gopher}\n"),
                     ('\n#listen "127.0.0.1"\n', '\nlisten "127.0.0.1"\n')]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    text += "# Edited by the administrator.\n"
    CONF.write_text(text)

    log, (main, kids) = serve_as_the_unit_does(tmp_path, gemini, gopher)
    assert f"generated certificate {CERTS}/localhost.crt" in log, log
    assert int(main["CapBnd"], 16) == sum(1 << n for n in CAPS.values())
    assert main["NoNewPrivs"] == "1"
    uid = str(user.pw_uid)
    # The server process (CAP_LEASE alone) and the key process.
    assert sorted((k["Name"], k["Uid"].split(), k["CapEff"])
                  for k in kids) == [
        ("attache", [uid] * 4, "0000000010000000"),
        ("attache-keys", [uid] * 4, "0000000000000000")], kids
    key, crt = CERTS / "localhost.key", CERTS / "localhost.crt"
    assert (stat.S_IMODE(key.stat().st_mode), key.stat().st_uid) == (0o600, 0)
    cert = crt.read_bytes()
    # The capsule is the administrator's now.
    (SRV / "dci.gmi").unlink()
    (SRV / "local.gmi").write_text("# Ours\n")

    # --- upgrade to a rebuild: the edit is kept, without a question -----
    dpkg("-i", str(packages["rebuild"]))
    assert package_status() == f"install ok installed {version}+b1"
    assert CONF.read_text() == text
    assert sorted(p.name for p in CONF.parent.iterdir()) == ["attache.conf"]
    assert sorted(p.name for p in SRV.iterdir()) == sorted(
        set(capsule) - {"dci.gmi"} | {"local.gmi"})
    stop_the_service_systemd_started()
    log, _ = serve_as_the_unit_does(tmp_path, gemini, gopher)
    assert "generated certificate" not in log
    assert f"loaded certificate {CERTS}/localhost.crt" in log, log
    assert crt.read_bytes() == cert

    # --- dpkg -r: the service and the programs go, the rest stays -------
    dpkg("-r", "attache")
    assert package_status() == f"deinstall ok config-files {version}+b1"
    for p in ["/usr/sbin/attache", str(UNIT),
              "/usr/share/man/man8/attache.8.gz"]:
        assert not os.path.lexists(p), p
    assert CONF.read_text() == text
    assert os.path.exists("/etc/logrotate.d/attache")
    assert crt.read_bytes() == cert and key.exists()
    assert LOG.exists()
    pwd.getpwnam("_attache")
    assert (SRV / "local.gmi").exists()

    # --- dpkg --purge: nothing of the package is left --------------------
    dpkg("--purge", "attache")
    assert package_status() == ""
    left = sorted(p for p in listed if os.path.lexists(p) and p not in existed)
    gone = sorted(p for p in existed if not os.path.lexists(p))
    assert (left, gone) == ([], [])
    for p in [CONF.parent, CERTS.parent, LOG.parent, WANTS,
              "/etc/logrotate.d/attache"]:
        assert not os.path.lexists(p), p
    assert attache_names() == names_before | {str(SRV / "attache.gmi")}
    # Kept, as README.Debian says: the user, and the capsule.
    pwd.getpwnam("_attache")
    assert (SRV / "local.gmi").read_text() == "# Ours\n"
