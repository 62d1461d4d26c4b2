"""Operators' writers against readers: a page rewritten again and again the
ways editors and tools write files, while clients fetch it over Gemini and
Gopher, each answer sorted into one whole version or torn.  Used by
test_whole.py (make test) and tests/torture/torture.py (make torture).

The writer runs as a process of its own (`python3 wholekit.py write ...`),
so that the readers' threads do not slow it down: it rewrites every few
milliseconds until a stop file appears."""
import os
import pathlib
import socket
import ssl
import subprocess
import sys
import threading
import time

from conftest import client_context, wait_until

PAGE_SIZE = 200 * 1024
MODES = ("inplace", "rename", "recreate", "git")


def version(tag: str, size=PAGE_SIZE) -> bytes:
    """A gemtext page of size bytes whose every line says which version it
    is: versions A and B have the same size, so that neither a length nor
    a stat tells them apart."""
    head = f"# Version {tag}\n\n".encode()
    tail = f"\nEnd of version {tag}\n".encode()
    line = (f"=> /{tag.lower()}.gmi Line of version {tag} " + "x" * 30 +
            "\n").encode()
    n = (size - len(head) - len(tail)) // len(line)
    body = line * n
    pad = size - len(head) - len(tail) - len(body)
    return head + body + b"\n" * pad + tail


def text_version(tag: str, size=PAGE_SIZE) -> bytes:
    """The same for a plain text file (Gopher type 0: sent as it is)."""
    line = f"Version {tag} " .encode() + b"y" * 50 + b"\n"
    return (line * (size // len(line) + 1))[:size]


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t",
               GIT_CONFIG_NOSYSTEM="1", HOME=str(repo))
    return subprocess.run(["git", "-C", str(repo), *args], env=env,
                          check=True, capture_output=True,
                          text=True).stdout.strip()


def make_repo(capsule: pathlib.Path, files: dict):
    """capsule as a git repository with two commits, one per version of
    files ({name: (A bytes, B bytes)}); returns their ids, A's checked
    out.  .git is a dot directory: never served."""
    git(capsule, "init", "-q")
    ids = []
    for i in (0, 1):
        for name, both in files.items():
            (capsule / name).write_bytes(both[i])
        git(capsule, "add", "-A")
        git(capsule, "commit", "-q", "-m", f"version {i}")
        ids.append(git(capsule, "rev-parse", "HEAD"))
    git(capsule, "checkout", "-q", ids[0])
    return ids


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def rewrite(mode, path: pathlib.Path, data: bytes):
    """One rewrite of path, as a tool of that kind does it."""
    if mode == "inplace":            # nano, cp, shell redirection
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    elif mode == "rename":           # rsync, sed -i, Titan
        tmp = path.with_name("." + path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    elif mode == "recreate":         # a checkout: removed, created, written
        os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    else:
        raise ValueError(mode)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)
    if mode == "rename":
        os.replace(tmp, path)


def writer_main(mode, stop, pause_ms, paths_versions):
    """Rewrites until the file stop exists: every path to its next version,
    pause_ms between rounds.  Prints the number of rounds."""
    stop = pathlib.Path(stop)
    rounds = 0
    if mode == "git":
        repo, ids = paths_versions
        while not stop.exists():
            git(repo, "checkout", "-q", ids[(rounds + 1) % 2])
            rounds += 1
            time.sleep(pause_ms / 1000)
    else:
        while not stop.exists():
            for path, versions in paths_versions:
                rewrite(mode, path, versions[(rounds + 1) % len(versions)])
            rounds += 1
            time.sleep(pause_ms / 1000)
    print(rounds)


class Writer:
    """The writer process: started, then stopped by its file."""

    def __init__(self, tmp, mode, files, pause_ms=3, repo=None, ids=None):
        self.stop_file = pathlib.Path(tmp) / f"stop-{mode}-{time.monotonic_ns()}"
        args = [sys.executable, str(pathlib.Path(__file__).resolve()), "write",
                mode, str(self.stop_file), str(pause_ms)]
        if mode == "git":
            args += [str(repo), *ids]
        else:
            for path, versions in files.items():
                args += [str(path), *[str(self._keep(tmp, path, i, v))
                                      for i, v in enumerate(versions)]]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)

    @staticmethod
    def _keep(tmp, path, i, data):
        """Each version in a file of its own, for the writer to read."""
        p = pathlib.Path(tmp) / f"v{i}-{pathlib.Path(path).name}"
        p.write_bytes(data)
        return p

    def stop(self):
        self.stop_file.touch()
        out, _ = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0
        return int(out.strip() or 0)


def _writer_cli(argv):
    mode, stop, pause = argv[0], argv[1], int(argv[2])
    if mode == "git":
        writer_main(mode, stop, pause, (pathlib.Path(argv[3]), argv[4:6]))
        return
    rest, pv = argv[3:], []
    while rest:
        path, v0, v1, rest = rest[0], rest[1], rest[2], rest[3:]
        pv.append((pathlib.Path(path), [pathlib.Path(v0).read_bytes(),
                                        pathlib.Path(v1).read_bytes()]))
    writer_main(mode, stop, pause, pv)


# --- readers -----------------------------------------------------------

def _read_all(s):
    out = bytearray()
    while True:
        try:
            b = s.recv(65536)
        except ssl.SSLEOFError:
            break
        if not b:
            return bytes(out)
        out += b
    return bytes(out)


def gemini_get(port, path, ctx=None, host="127.0.0.1"):
    raw = socket.create_connection((host, port), timeout=15)
    ctx = ctx or client_context()
    with ctx.wrap_socket(raw, server_hostname="localhost",
                         suppress_ragged_eofs=False) as s:
        s.sendall(f"gemini://localhost:{port}{path}\r\n".encode())
        data = _read_all(s)
    header, _, body = data.partition(b"\r\n")
    return header.decode("utf-8", "replace"), body


def gopher_get(port, selector, host="127.0.0.1"):
    with socket.create_connection((host, port), timeout=15) as s:
        s.sendall(selector.encode() + b"\r\n")
        return _read_all(s)


class Tally:
    """Answers sorted: whole (per version), not found, refused (4x, a
    type-3 line), torn (anything else), with a few torn ones kept."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.examples = []

    def add(self, what, kind, detail=None):
        with self.lock:
            self.counts.setdefault(what, {}).setdefault(kind, 0)
            self.counts[what][kind] += 1
            if kind not in ("whole-0", "whole-1") and len(self.examples) < 20:
                self.examples.append((what, kind, detail))

    def count(self, what, kind):
        return self.counts.get(what, {}).get(kind, 0)

    def whole(self, what):
        return self.count(what, "whole-0") + self.count(what, "whole-1")

    def bad(self, what):
        return sum(v for k, v in self.counts.get(what, {}).items()
                   if not k.startswith("whole-"))


def sort_body(body, wants):
    """Which of wants body is, or why it is none of them."""
    if body in wants:
        return f"whole-{wants.index(body)}"
    if not body:
        return "torn-empty"
    if any(w.startswith(body) for w in wants):
        return "torn-cut"
    return "torn-mixed"


def gemini_reader(port, path, wants, tally, done, name="gemini"):
    ctx = client_context()
    while not done.is_set():
        try:
            header, body = gemini_get(port, path, ctx)
        except OSError as e:
            tally.add(name, "error", repr(e))
            continue
        if header.startswith("20 "):
            tally.add(name, sort_body(body, wants), (header, len(body)))
        elif header.startswith("51"):
            tally.add(name, "not-found", header)
        elif header[:1] == "4":
            tally.add(name, "refused", header)
        else:
            tally.add(name, "other", header)


def gopher_reader(port, selector, wants, tally, done, name="gopher"):
    while not done.is_set():
        try:
            got = gopher_get(port, selector)
        except OSError as e:
            tally.add(name, "error", repr(e))
            continue
        if got.startswith(b"3") and b"ot found" in got.split(b"\t")[0]:
            tally.add(name, "not-found", got[:80])
        elif got.startswith(b"3"):
            tally.add(name, "refused", got[:80])
        else:
            tally.add(name, sort_body(got, wants), len(got))


def menus_of(gopher_port, capsule, name, versions):
    """The Gopher menu of each version of the page capsule/name, as the
    server shows it: each put in place by rename, then asked for until it
    shows.  The first version is left in place."""
    menus = []
    for v in [*versions, versions[0]]:
        tmp = capsule / ".menu.tmp"
        tmp.write_bytes(v)
        os.replace(tmp, capsule / name)
        title = v.split(b"\n", 1)[0][2:]
        got = []

        def shows():
            got.append(gopher_get(gopher_port, "/" + name))
            return title in got[-1]
        assert wait_until(shows), title
        menus.append(got[-1])
    return menus[:len(versions)]


def run_readers(readers, seconds):
    """Runs each reader (a function of done) for seconds; returns when
    all have stopped."""
    done = threading.Event()
    threads = [threading.Thread(target=r, args=(done,)) for r in readers]
    for t in threads:
        t.start()
    done.wait(seconds)
    done.set()
    for t in threads:
        t.join(60)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "write":
        _writer_cli(sys.argv[2:])
    else:
        sys.exit("usage: wholekit.py write MODE STOPFILE PAUSE_MS ...")
