"""Shared fixtures: start the real attache binary on free loopback ports with
a temporary capsule and certificate directory, and talk to it as clients do."""
import os
import random
import pathlib
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("ATTACHE_BIN", str(ROOT / "attache"))
# Under ASan freed memory sits in a quarantine, so RSS says nothing there.
SANITIZED = os.environ.get("ATTACHE_SANITIZE") == "1"
SECRET = b"TOPSECRET-OUTSIDE-THE-CAPSULE"
DOTSECRET = b"DOTFILE-SECRET-BYTES"


def child_pids(pid, comm=None):
    """The children of pid, oldest first; with comm, those of that name
    (attache's key process is "attache-keys")."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return []
    out = []
    for k in kids:
        try:
            with open(f"/proc/{k}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if (name == "attache-keys") == (comm == "attache-keys"):
            out.append(k)
    return out


def serving_pid(pid, timeout=10.0):
    """The server process (the one that serves clients) under attache's
    privileged process pid: the newest, when an old one still drains."""
    deadline = time.monotonic() + timeout
    while True:
        kids = child_pids(pid)
        if kids or time.monotonic() > deadline:
            return kids[-1] if kids else None
        time.sleep(0.02)


def key_pid(pid, timeout=10.0):
    """attache's key process under its privileged process pid."""
    deadline = time.monotonic() + timeout
    while True:
        kids = child_pids(pid, "attache-keys")
        if kids or time.monotonic() > deadline:
            return kids[-1] if kids else None
        time.sleep(0.02)


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_ports(n, family=socket.AF_INET, host="127.0.0.1"):
    """n distinct free ports: each socket stays bound until all are, so
    two calls of free_port cannot hand out the same one."""
    socks = []
    try:
        for _ in range(n):
            socks.append(socket.socket(family, socket.SOCK_STREAM))
            socks[-1].bind((host, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_low_port():
    """A free loopback port below 1024, as a daemon's Gopher port would
    be, tried from a random start."""
    start = random.randrange(600, 1024)
    for port in [*range(start, 1024), *range(600, start)]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    pytest.skip("no free port below 1024")


def wait_port(port, host="127.0.0.1", timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def wait_until(cond, timeout=30.0, interval=0.02):
    """cond()'s first true value, asked until timeout; then its last
    (false) one."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# --- What the kernel shows of TCP connections ---------------------------
# A connection's server end: in the accept queue its socket has no inode
# yet; once accepted it has one; rx_queue is what the server has not read
# yet (a FIN counts one until read); once the server has closed it the
# end is gone, or lingers without an inode in a closing state.  Asked of
# the kernel by sock_diag, which leaves out the sockets in TIME_WAIT (tens
# of thousands after a test run, which /proc/net/tcp lists one by one).

ESTABLISHED, SYN_RECV, TIME_WAIT, CLOSE_WAIT, LISTEN = 1, 3, 6, 8, 10
NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
NLMSG_ERROR, NLMSG_DONE = 2, 3


def _diag(family):
    """(state, rx_queue, inode, local, remote) of each TCP socket of
    family but those in TIME_WAIT."""
    states = ((1 << 13) - 1) & ~(1 << TIME_WAIT)
    req = (struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, states)
           + bytes(48))                 # any addresses, ports, interface
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                       NETLINK_SOCK_DIAG) as nl:
        nl.sendall(struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY,
                               0x301, 1, 0) + req)   # a request, a dump
        n = 16 if family == socket.AF_INET6 else 4
        while True:
            data = nl.recv(1 << 20)
            at = 0
            while at + 16 <= len(data):
                size, kind = struct.unpack_from("=IH", data, at)
                if kind == NLMSG_DONE:
                    return
                if kind == NLMSG_ERROR:
                    err = struct.unpack_from("=i", data, at + 16)[0]
                    raise OSError(-err, "sock_diag")
                state = data[at + 17]
                sport, dport = struct.unpack_from(">HH", data, at + 20)
                src = socket.inet_ntop(family, data[at + 24:at + 24 + n])
                dst = socket.inet_ntop(family, data[at + 40:at + 40 + n])
                rx, _, _, inode = struct.unpack_from("=IIII", data, at + 72)
                yield state, rx, inode, (src, sport), (dst, dport)
                at += (size + 3) & ~3


def tcp_table():
    """The TCP sockets of this network namespace, those in TIME_WAIT
    aside, keyed by (local address, remote address), each an (address,
    port) pair: (state, rx_queue, inode)."""
    table = {}
    for family in (socket.AF_INET, socket.AF_INET6):
        for state, rx, inode, local, remote in _diag(family):
            table[(_plain(local), _plain(remote))] = (state, rx, inode)
    return table


def _plain(addr):
    """An address one way: an IPv4-mapped IPv6 one as IPv4."""
    host, port = addr[0], addr[1]
    if host.startswith("::ffff:") and "." in host:
        host = host[7:]
    return host, port


def server_ends(socks):
    """Each client socket's two addresses, the server's end first: what
    identifies its server end, even once the client has closed it."""
    return [(_plain(s.getpeername()), _plain(s.getsockname()))
            for s in socks]


def accepted(socks, read=False):
    """True once the server has accepted each of socks (and, with read,
    read all that was sent on it: a peek leaves the bytes there)."""
    table = tcp_table()
    for end in server_ends(socks):
        _, rx, inode = table.get(end, (None, None, 0))
        if inode == 0 or (read and rx != 0):
            return False
    return True


def closed_by_server(ends):
    """True once the server has closed each of ends (from server_ends).
    Not after an answer: a server that shut its side first may still hold
    a socket the client's close has ended (see connections_held)."""
    table = tcp_table()
    for end in ends:
        state, _, inode = table.get(end, (None, None, 0))
        if state is not None and (inode != 0 or state in (
                SYN_RECV, ESTABLISHED, CLOSE_WAIT)):
            return False
    return True


def quiescent(pid):
    """True when every thread of pid is blocked, waiting: none runs or
    was woken to run.  Seen after what the kernel shows of a connection
    (accepted, read, closed), the callback that did it has also ended:
    what it counts or frees is counted or freed."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue            # a thread that has ended
        if state != "S":
            return False
    return True


def accept_queue(port, host="127.0.0.1"):
    """How many connections wait in the accept queue of host:port."""
    for (local, _), (state, rx, _) in tcp_table().items():
        if state == LISTEN and local[1] == port and local[0] in (
                host, "0.0.0.0", "::"):
            return rx
    return 0


def socket_inodes(pid):
    inodes = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if t.startswith("socket:["):
            inodes.append(int(t[8:-1]))
    return inodes


def connections_held(pid):
    """How many TCP connections pid holds open: its sockets that are
    neither listening nor of another kind (a connection its peer has
    reset is in no table, so is counted too)."""
    other = set()
    for (local, _), (state, _, inode) in tcp_table().items():
        if state == LISTEN:
            other.add(inode)
    for name in ("unix", "udp", "udp6", "raw", "raw6", "netlink",
                 "packet"):
        try:
            with open(f"/proc/net/{name}") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        col = {"unix": 6, "netlink": 9, "packet": 8}.get(name, 9)
        for line in lines:
            p = line.split()
            if len(p) > col and p[col].isdigit():
                other.add(int(p[col]))
    return sum(1 for i in socket_inodes(pid) if i not in other)


def reachable_dir(prefix="attache-test-"):
    """A fresh directory every user can enter, for what a test runs as
    another user: pytest's tmp_path is root's alone, and the checkout may
    sit under a directory others cannot enter (/root, a home of 0700)."""
    for top in dict.fromkeys([tempfile.gettempdir(), "/tmp", "/var/tmp"]):
        top = pathlib.Path(top).resolve()
        if top.is_dir() and all(os.stat(d).st_mode & 0o001
                                for d in [top, *top.parents]):
            d = pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir=top))
            d.chmod(0o755)
            return d
    pytest.skip("no temporary directory that other users can enter")


@pytest.fixture
def reachable_tmp():
    d = reachable_dir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


def reachable_copy(src, dest):
    """src (a file or a tree) copied to dest, in a reachable_dir, with its
    times (make sees nothing to rebuild) and readable by every user: what
    it makes, directories and executables 0755, other files 0644,
    whatever the checkout's umask was."""
    src, dest = pathlib.Path(src), pathlib.Path(dest)
    made = [d for d in dest.parents if not d.exists()]
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dest, symlinks=True)
    else:
        shutil.copy2(src, dest)
    for p in [*made, dest, *(dest.rglob("*") if src.is_dir() else [])]:
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() or p.stat().st_mode & 0o100
                    else 0o644)
    return dest


def root_items(port, host="localhost", search="/search",
               changes="/changes.gmi"):
    """The items every Gopher root menu ends with, search and changes on."""
    return (f"i\t\t{host}\t{port}\r\n"
            f"7Search this capsule\t{search}\t{host}\t{port}\r\n"
            f"1Recent changes\t{changes}\t{host}\t{port}\r\n").encode()


def make_capsule(base: pathlib.Path) -> pathlib.Path:
    """A capsule with one of everything the tests need."""
    cap = base / "capsule"
    cap.mkdir()
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (cap / "index.gmi").write_text("# Test capsule\n\nHello.\n=> page.gmi A page\n")
    (cap / "page.gmi").write_text("# A page\n\nSome text.\n")
    (cap / "page.gemini").write_text("# Another\n")
    (cap / "hello.txt").write_text("hello, world\n")
    (cap / "empty.txt").write_bytes(b"")
    for ext in ["md", "html", "css", "xml", "json", "png", "jpg", "gif",
                "svg", "webp", "pdf", "zip", "mp3", "ogg", "bin", "JPG"]:
        (cap / f"file.{ext}").write_bytes(b"x" + ext.encode())
    (cap / "noext").write_bytes(b"no extension")
    (cap / ".secret").write_bytes(DOTSECRET)
    (cap / ".git").mkdir()
    (cap / ".git" / "config").write_bytes(DOTSECRET)
    sub = cap / "sub"
    sub.mkdir()
    (sub / "b.txt").write_text("b\n")
    (sub / "a.gmi").write_text("# a\n")
    (sub / "z dir").mkdir()
    (sub / "dir2").mkdir()
    (sub / ".hidden").write_bytes(DOTSECRET)
    (sub / "caf\u00e9 & co.gmi").write_text("# caf\u00e9\n")
    (sub / "link-in.txt").symlink_to("b.txt")
    (sub / "link-out.txt").symlink_to(outside / "secret.txt")
    (sub / "link-out-rel.txt").symlink_to("../../outside/secret.txt")
    os.mkfifo(sub / "fifo")
    withindex = cap / "withindex"
    withindex.mkdir()
    (withindex / "index.gmi").write_text("# With index\n")
    (withindex / "other.txt").write_text("other\n")
    (cap / "my dir").mkdir()
    (cap / "my dir" / "index.gmi").write_text("# Spaced\n")
    (cap / "outlink").symlink_to(outside)
    (cap / "abslink.txt").symlink_to(outside / "secret.txt")
    # Symlinks that stay inside but end on a hidden name: never served.
    (cap / "dot-target.txt").symlink_to(".secret")
    (cap / "drafts").symlink_to(".git")
    (sub / "dot-link.txt").symlink_to(".hidden")
    return cap


class Server:
    def __init__(self, tmp_path, extra_args=(), capsule=None, certs=None,
                 gemini=True, gopher=True, hostname="localhost",
                 listen=("127.0.0.1",), lang="none", run_as=()):
        self.tmp = tmp_path
        self.capsule = capsule or make_capsule(tmp_path)
        self.certs = certs or (tmp_path / "certs")
        self.hostname = hostname
        gem, gop = free_ports(2)
        self.gemini_port = gem if gemini else 0
        self.gopher_port = gop if gopher else 0
        self.logpath = tmp_path / f"attache-{time.monotonic_ns()}.log"
        # run_as: a command that runs the rest (setpriv, and a copy of the
        # binary another user can reach) instead of BIN.
        args = [*(run_as or [BIN]), "--capsule", str(self.capsule),
                "--certs", str(self.certs),
                "--hostname", hostname,
                "--gemini-port", str(self.gemini_port),
                "--gopher-port", str(self.gopher_port)]
        for a in listen:
            args += ["--listen", a]
        # Most tests check exact bytes without lang=; None: the default.
        if lang is not None:
            args += ["--lang", lang]
        args += list(extra_args)
        self.args = args
        self.logfile = open(self.logpath, "wb")
        self.proc = subprocess.Popen(args, stdout=self.logfile,
                                     stderr=subprocess.STDOUT)
        host = listen[0]
        for port in (self.gemini_port, self.gopher_port):
            if port and not wait_port(port, host):
                self.stop()
                raise RuntimeError("attache did not start:\n" + self.log())
        # The ports are bound by the privileged process; this line comes
        # once the server process serves (slow under ASan on a busy box).
        if "SIGHUP reloads" not in self.wait_log("SIGHUP reloads",
                                                 timeout=60):
            self.stop()
            raise RuntimeError("attache did not start:\n" + self.log())

    def log(self):
        if not self.logfile.closed:
            self.logfile.flush()
        return self.logpath.read_text(errors="replace")

    def wait_log(self, text, timeout=10.0, path=None):
        """The log (or the file at path), once it holds text: servers log
        asynchronously."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log() if path is None else (
                path.read_text(errors="replace") if path.exists() else "")
            if text in log or time.monotonic() > deadline:
                return log
            time.sleep(0.02)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logfile.close()
        return self.proc.returncode

    # --- Gemini ---------------------------------------------------------
    def gemini_raw(self, request: bytes, sni="localhost", host="127.0.0.1",
                   port=None, timeout=15, chunks=None, ctx=None):
        """Sends raw request bytes; returns (response bytes, close_notify)."""
        return gemini_raw(port or self.gemini_port, request, sni=sni,
                          host=host, timeout=timeout, chunks=chunks, ctx=ctx)

    def gemini(self, url: str, **kw):
        data, notify = self.gemini_raw(url.encode() + b"\r\n", **kw)
        header, _, body = data.partition(b"\r\n")
        return header.decode("utf-8", "replace"), body, notify

    def url(self, path="/"):
        return f"gemini://{self.hostname}:{self.gemini_port}{path}"

    # --- Gopher ---------------------------------------------------------
    def gopher_raw(self, request: bytes, host="127.0.0.1", timeout=15,
                   port=None):
        with socket.create_connection((host, port or self.gopher_port),
                                      timeout=timeout) as s:
            s.sendall(request)
            return read_all(s)

    def assert_memory_flat(self, before_kb, after_kb, limit_kb=16 * 1024):
        if not SANITIZED:
            assert after_kb - before_kb < limit_kb, (before_kb, after_kb)

    def server_pid(self):
        return serving_pid(self.proc.pid)

    def rss_kb(self, field="VmHWM"):
        with open(f"/proc/{self.server_pid()}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return None


class ConfServer(Server):
    """attache -f FILE: the configuration file written from text."""

    def __init__(self, tmp_path, text, gemini_port=0, gopher_ports=(),
                 extra_args=(), hostname="localhost", wait_file=None):
        self.tmp = tmp_path
        self.capsule = None
        self.certs = tmp_path / "certs"
        self.hostname = hostname
        self.gemini_port = gemini_port
        self.gopher_ports = list(gopher_ports)
        self.gopher_port = self.gopher_ports[0] if self.gopher_ports else 0
        self.conf = tmp_path / f"attache-{time.monotonic_ns()}.conf"
        self.conf.write_text(text)
        self.logpath = tmp_path / f"attache-{time.monotonic_ns()}.log"
        self.args = [BIN, "-f", str(self.conf), *extra_args]
        self.logfile = open(self.logpath, "wb")
        self.proc = subprocess.Popen(self.args, stdout=self.logfile,
                                     stderr=subprocess.STDOUT)
        # Once this line is logged every worker serves and SIGHUP is ours.
        # A log file (wait_file) holds it instead; with syslog (False) the
        # ports are all there is to wait for.
        if wait_file is False:
            ok = all(wait_port(port) for port in
                     [gemini_port, *self.gopher_ports] if port)
        else:
            ok = "SIGHUP reloads" in self.wait_log("SIGHUP reloads",
                                                   timeout=60,
                                                   path=wait_file)
        if not ok:
            self.stop()
            raise RuntimeError("attache did not start:\n" + self.log())

    def reload(self, text=None, timeout=30.0):
        """Rewrites the file (when text is given), sends SIGHUP, and returns
        the log line that ends the reload."""
        if text is not None:
            tmp = self.conf.with_suffix(".new")
            tmp.write_text(text)
            os.replace(tmp, self.conf)
        marks = ("attache info: reloaded: ", "attache warn: reload failed")
        before = sum(self.log().count(m) for m in marks)
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = [l for l in self.log().splitlines()
                     if any(m in l for m in marks)]
            if len(lines) > before:
                return lines[before]
            time.sleep(0.02)
        raise AssertionError("no end of reload in the log:\n" + self.log())


def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def read_all(sock):
    out = bytearray()
    while True:
        b = sock.recv(65536)
        if not b:
            return bytes(out)
        out += b


def gemini_raw(port, request, sni="localhost", host="127.0.0.1", timeout=15,
               chunks=None, ctx=None):
    ctx = ctx or client_context()
    # Python sets OP_IGNORE_UNEXPECTED_EOF with OpenSSL 3: a close without
    # close_notify would then read as a clean end.
    ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    raw = socket.socket(family, socket.SOCK_STREAM)
    raw.settimeout(timeout)
    raw.connect((host, port))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # suppress_ragged_eofs=False: a close without close_notify raises.
    with ctx.wrap_socket(raw, server_hostname=sni,
                         suppress_ragged_eofs=False) as s:
        if chunks:
            # Each piece once the server has read the one before: it
            # reads them one by one.
            for i in range(0, len(request), chunks):
                if i:
                    wait_until(lambda: accepted([s], read=True))
                s.sendall(request[i:i + chunks])
        else:
            s.sendall(request)
        out = bytearray()
        notify = True
        while True:
            try:
                b = s.recv(65536)
            except ssl.SSLError as e:
                # The end came without close_notify: a cut response.
                if not (isinstance(e, ssl.SSLEOFError) or
                        "UNEXPECTED_EOF" in str(e)):
                    raise
                notify = False
                break
            if not b:
                break
            out += b
        return bytes(out), notify


@pytest.fixture
def server(tmp_path):
    servers = []

    def start(**kw):
        s = Server(tmp_path, **kw)
        servers.append(s)
        return s

    yield start
    for s in servers:
        rc = s.stop()
        log = s.log()
        assert "ERROR: AddressSanitizer" not in log, log
        assert "runtime error:" not in log, log
        assert rc == 0, f"attache exited with {rc}:\n{log}"


@pytest.fixture
def conf_server(tmp_path):
    """Starts attache -f on a configuration text; checked at the end like
    the server fixture."""
    servers = []

    def start(text, **kw):
        s = ConfServer(tmp_path, text, **kw)
        servers.append(s)
        return s

    yield start
    for s in servers:
        rc = s.stop()
        log = s.log()
        assert "ERROR: AddressSanitizer" not in log, log
        assert "runtime error:" not in log, log
        assert rc == 0, f"attache exited with {rc}:\n{log}"


@pytest.fixture
def srv(server):
    """One server with both protocols on the default test capsule."""
    return server()


def listening_descriptors(pid, port):
    """The socket inode of each descriptor of pid listening on port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                parts = line.split()
                if (parts[3] == "0A" and
                        int(parts[1].split(":")[1], 16) == port):
                    inodes.add(parts[9])
    return [str(i) for i in socket_inodes(pid) if str(i) in inodes]


def assert_serves_office(gemini, gopher):
    """The office capsule's page over Gemini (ended by close_notify) and
    its Gopher root menu, as an installed attache serves them; returns
    the menu."""
    data, notify = gemini_raw(gemini, f"gemini://localhost:{gemini}/\r\n"
                              .encode())
    assert notify
    assert data == (b"20 text/gemini; lang=en\r\n" +
                    (ROOT / "capsule/index.gmi").read_bytes())
    with socket.create_connection(("127.0.0.1", gopher), timeout=15) as s:
        s.sendall(b"\r\n")
        menu = read_all(s)
    assert (f"1The Homeland Security Attach\u00e9\t/attache.gmi\t"
            f"localhost\t{gopher}\r\n".encode() in menu), menu
    return menu
