"""Rendered Gopher menus and listings are cached, and an edit of their
source is seen on the next request: in place at the same size and time,
by rename, in a directory, and across a reload.  Readers during edits get
one whole version or the other."""
import os
import threading
import time

from conftest import client_context, free_port, read_all, wait_until
from sitekit import gopher_tls, write_tree

SETTLE_NS = 2 * 10**9   # sources younger than 2 s are not cached at all


def settle(*paths):
    """Once paths are old enough to be cached: their last change, by
    their own change and modification times, SETTLE_NS ago."""
    def last_change():
        return max(max(p.stat().st_ctime_ns, p.stat().st_mtime_ns)
                   for p in paths)
    assert wait_until(lambda: time.time_ns() >= last_change() + SETTLE_NS)


def menu(title, port, host="localhost"):
    return (f"i# {title}\t\t{host}\t{port}\r\n.\r\n").encode()


def gemini(port, path):
    import socket
    raw = socket.create_connection(("127.0.0.1", port), timeout=15)
    with client_context().wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(f"gemini://localhost/{path}\r\n".encode())
        return read_all(s)


def test_edits_are_seen_on_the_next_request(server, tmp_path):
    s = server(extra_args=["--rate-limit", "off"])
    p = s.gopher_port
    page = s.capsule / "cached.gmi"
    page.write_text("# Version A\n")
    d = s.capsule / "listed"
    d.mkdir()
    (d / "one.txt").write_text("1\n")
    settle(page, d, d / "one.txt")
    # Rendered, then served from the cache.
    for _ in range(3):
        assert s.gopher_raw(b"/cached.gmi\r\n") == menu("Version A", p)
    # In place, the same size, the modification time put back: the change
    # time still tells.
    st = page.stat()
    with open(page, "r+") as f:
        f.write("# Version B\n")
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert page.stat().st_size == st.st_size
    assert s.gopher_raw(b"/cached.gmi\r\n") == menu("Version B", p)
    # By rename, the same size and time: another inode.
    tmp = s.capsule / ".new"
    tmp.write_text("# Version C\n")
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, page)
    assert s.gopher_raw(b"/cached.gmi\r\n") == menu("Version C", p)
    # A listing: in both protocols, a new entry and a removed one.
    want = (f"iIndex of /listed/\t\tlocalhost\t{p}\r\n"
            f"i\t\tlocalhost\t{p}\r\n"
            f"1Parent directory\t/\tlocalhost\t{p}\r\n").encode()
    got = s.gopher_raw(b"/listed/\r\n")
    assert got.startswith(want) and b"0one.txt\t/listed/one.txt" in got
    assert b"=> ./one.txt one.txt\n" in gemini(s.gemini_port, "listed/")
    (d / "two.txt").write_text("2\n")
    got = s.gopher_raw(b"/listed/\r\n")
    assert b"0two.txt\t/listed/two.txt" in got
    assert b"=> ./two.txt two.txt\n" in gemini(s.gemini_port, "listed/")
    # A file removed may be written again (a checkout): listed for the
    # 2 s it may take, then gone.
    (d / "one.txt").unlink()
    assert wait_until(lambda: b"one.txt" not in s.gopher_raw(
        b"/listed/\r\n"), timeout=10)
    got = s.gopher_raw(b"/listed/\r\n")
    assert b"two.txt" in got
    assert b"one.txt" not in gemini(s.gemini_port, "listed/")
    # An index.gmi that appears turns the listing into that page.
    (d / "index.gmi").write_text("# Now a page\n")
    assert s.gopher_raw(b"/listed/\r\n") == menu("Now a page", p)


def test_a_reload_renders_again(conf_server, tmp_path):
    write_tree(tmp_path / "cap", {"index.gmi": "# Home\n",
                                  "long.gmi": "# Long\n\n" + "word " * 30})
    gop = free_port()
    text = f"""listen "127.0.0.1"
gemini-port 0
gopher-width WIDTH
site "localhost" {{ capsule "{tmp_path}/cap" gopher-port {gop} }}
"""
    s = conf_server(text.replace("WIDTH", "60"), gopher_ports=[gop])
    settle(tmp_path / "cap" / "long.gmi")
    wide = s.gopher_raw(b"/long.gmi\r\n")
    assert wide == s.gopher_raw(b"/long.gmi\r\n")
    assert "reloaded: 1 sites" in s.reload(text.replace("WIDTH", "30"))
    narrow = s.gopher_raw(b"/long.gmi\r\n")
    assert narrow != wide
    assert all(len(line.split(b"\t")[0]) <= 31
               for line in narrow.split(b"\r\n")[:-2]), narrow


def test_readers_during_edits_get_whole_versions(server):
    s = server(extra_args=["--rate-limit", "off"])
    page = s.capsule / "busy.gmi"
    versions = [("# First\n\n" + "one " * 200 + "\n"),
                ("# Second, longer\n\n" + "two " * 300 + "\n")]
    page.write_text(versions[0])
    # The same texts elsewhere give the menus expected (no links in them).
    (s.capsule / "va.gmi").write_text(versions[0])
    (s.capsule / "vb.gmi").write_text(versions[1])
    expect = {s.gopher_raw(b"/va.gmi\r\n"), s.gopher_raw(b"/vb.gmi\r\n")}
    assert len(expect) == 2
    # Settled, then cached: the edits below start from a cached menu.
    settle(page)
    assert s.gopher_raw(b"/busy.gmi\r\n") in expect
    stop = threading.Event()
    bad, seen = [], [0]

    def reader():
        while not stop.is_set():
            got = s.gopher_raw(b"/busy.gmi\r\n")
            if got not in expect:
                bad.append(got[:100])
            seen[0] += 1

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(30):
            tmp = s.capsule / ".tmp"
            tmp.write_text(versions[i % 2])
            os.replace(tmp, page)
            # Readers read between edits.
            done = seen[0]
            assert wait_until(lambda: seen[0] > done), bad[:1]
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert bad == [] and seen[0] > 0


class FileReads:
    """inotify on one file: how many times it was read.  Each request reads
    a file under 64 KB in one call, then closes it: one event each, which
    the search indexer's own opens of the file (it does not read a .bin)
    cannot split or merge."""
    IN_ACCESS, IN_CLOSE_NOWRITE, IN_OPEN = 0x1, 0x10, 0x20

    def __init__(self, path):
        import ctypes
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self.fd >= 0, ctypes.get_errno()
        wd = self.libc.inotify_add_watch(self.fd, str(path).encode(),
                                         self.IN_ACCESS | self.IN_OPEN |
                                         self.IN_CLOSE_NOWRITE)
        assert wd >= 0, ctypes.get_errno()
        self.reads = 0

    def count(self):
        import struct
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            data = b""
        at = 0
        while at < len(data):
            _, mask, _, n = struct.unpack_from("iIII", data, at)
            self.reads += bool(mask & self.IN_ACCESS)
            at += 16 + n
        return self.reads

    def close(self):
        os.close(self.fd)


def test_files_over_tls_are_read_once_while_unchanged(server):
    s = server()
    f = s.capsule / "photo.bin"
    old = bytes(range(256)) * 192                   # 48 KB: one read
    new = bytes(reversed(range(256))) * 192
    f.write_bytes(old)
    head = b"20 application/octet-stream\r\n"
    reads = FileReads(f)
    # Past the clock's tick it was written in: a version read in that
    # tick is not kept, as a later one could carry the same times.
    assert wait_until(lambda: time.time_ns() >
                      f.stat().st_ctime_ns + 20 * 10**6)
    try:
        # Younger than the settling time, but whole (no one has it open
        # for writing: a read lease says so): read once, then kept.
        assert gemini(s.gemini_port, "photo.bin") == head + old
        assert gemini(s.gemini_port, "photo.bin") == head + old
        assert reads.count() == 1
        settle(f)
        # Settled: the same version, served from the cache (still opened:
        # its fstat is the key).
        for _ in range(3):
            assert gemini(s.gemini_port, "photo.bin") == head + old
        assert reads.count() == 1
        # In place, the same size, the time put back: read again, once.
        st = f.stat()
        with open(f, "r+b") as w:
            w.write(new)
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
        reads.count()
        settle(f)
        n = reads.count()
        for _ in range(2):
            assert gemini(s.gemini_port, "photo.bin") == head + new
        assert reads.count() == n + 1
        # Gopher shares the entry (same site, same path, same version),
        # over TLS and plain TCP: no read.
        assert gopher_tls(s.gopher_port, b"/photo.bin\r\n")[0] == new
        assert s.gopher_raw(b"/photo.bin\r\n") == new
        assert reads.count() == n + 1
        # Larger than the cache takes: over plain TCP, sendfile.
        big = s.capsule / "big.bin"
        big.write_bytes(b"b" * (1024 * 1024 + 1))
        assert s.gopher_raw(b"/big.bin\r\n") == big.read_bytes()
    finally:
        reads.close()
