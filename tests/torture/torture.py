"""Readers against operators' writers, counted (make torture).

A 200 KB page (and a text file of the same size) rewritten every 3 ms,
two versions of the same size in turn, by each kind of writer: in place
(truncate, then write: nano, cp, shell redirection), by rename (rsync,
sed -i, Titan), removed then created and written (a checkout), and git
checkout between two commits.  Meanwhile one Gemini client fetches the
page, one Gopher client its menu and one the text file, each as fast as it
can.  Every answer is sorted: one whole version, `51`/not found, refused
(`40`, a type-3 line), or torn (empty, cut, mixed).  Nothing is timed: the
counts are the result, printed as a table; exit 1 when any answer was
torn or not found.

    python3 tests/torture/torture.py --bin ./attache [--seconds 10]

With --user nobody (as root), attache serves as nobody a capsule root
owns, its server process keeping CAP_LEASE: read leases say whether a file
is whole.  With --no-lease too, it is started as nobody (setpriv): no read
lease can be had, and only the service's events and the files' times say.
"""
import argparse
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import wholekit  # noqa: E402
from wholekit import (MODES, Tally, Writer, gemini_get, gemini_reader,  # noqa: E402
                      gopher_get, gopher_reader, run_readers)


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_for(cond, timeout=60):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Attache:
    def __init__(self, binary, capsule, certs, log, user=None,
                 no_lease=False):
        self.gem, self.gop = free_ports(2)
        self.log = log
        self.logf = open(log, "wb")
        run = [binary]
        if user and no_lease:
            gid = pwd.getpwnam(user).pw_gid
            run = ["setpriv", f"--reuid={user}", f"--regid={gid}",
                   "--clear-groups", "--inh-caps=-all", binary]
            user = None
        self.proc = subprocess.Popen(
            [*run, "--capsule", str(capsule), "--certs", str(certs),
             "--hostname", "localhost", "--listen", "127.0.0.1",
             "--gemini-port", str(self.gem), "--gopher-port", str(self.gop),
             "--lang", "none", "--max-connections-per-address", "off",
             "--rate-limit", "off", *(["--user", user] if user else [])],
            stdout=self.logf,
            stderr=subprocess.STDOUT)
        if not wait_for(lambda: b"SIGHUP reloads" in log.read_bytes()):
            self.stop()
            sys.exit("attache did not start:\n" + log.read_text())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        self.logf.close()


def one_mode(args, tmp, mode):
    cap = tmp / f"capsule-{mode}"
    cap.mkdir()
    cap.chmod(0o755)
    page = [wholekit.version("A"), wholekit.version("B")]
    text = [wholekit.text_version("A"), wholekit.text_version("B")]
    (cap / "index.gmi").write_text("# Torture\n")
    ids = None
    if mode == "git":
        ids = wholekit.make_repo(cap, {"page.gmi": page, "page.txt": text})
    else:
        (cap / "page.gmi").write_bytes(page[0])
        (cap / "page.txt").write_bytes(text[0])
    srv = Attache(args.bin, cap, tmp / "certs", tmp / f"attache-{mode}.log",
                  args.user, args.no_lease)
    try:
        # Each version's menu as Gopher shows it, rewritten by rename.
        menus = wholekit.menus_of(srv.gop, cap, "page.gmi", page)
        if mode == "git":
            wholekit.git(cap, "checkout", "-q", "-f", ids[0])
        # Seen whole once before the writer starts, as a reader would.
        gemini_get(srv.gem, "/page.gmi")
        gopher_get(srv.gop, "/page.gmi")
        gopher_get(srv.gop, "/page.txt")
        tally = Tally()
        w = Writer(tmp, mode, {cap / "page.gmi": page, cap / "page.txt": text},
                   pause_ms=args.pause_ms, repo=cap, ids=ids)
        run_readers([
            lambda d: gemini_reader(srv.gem, "/page.gmi", page, tally, d),
            lambda d: gopher_reader(srv.gop, "/page.gmi", menus, tally, d,
                                    "gopher menu"),
            lambda d: gopher_reader(srv.gop, "/page.txt", text, tally, d,
                                    "gopher text"),
        ], args.seconds)
        rounds = w.stop()
    finally:
        srv.stop()
    return tally, rounds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=str(ROOT / "attache"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pause-ms", type=int, default=3)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--user", help="serve as this user (started as root)")
    ap.add_argument("--no-lease", action="store_true",
                    help="with --user: started as that user, not as root "
                    "(no CAP_LEASE: no read lease on root's files)")
    args = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="attache-torture-"))
    # Every user may enter it: the capsule is read as --user.
    tmp.chmod(0o755)
    if args.user and args.no_lease:
        # Run as that user: the binary where it can reach it, and the
        # certificates it generates its own.
        shutil.copy2(args.bin, tmp / "attache")
        args.bin = str(tmp / "attache")
        (tmp / "certs").mkdir()
        shutil.chown(tmp / "certs", args.user)
    kinds = ("whole-0", "whole-1", "not-found", "refused", "torn-empty",
             "torn-cut", "torn-mixed", "error", "other")
    failed = False
    print(f"{'writer':9} {'reader':12} {'rounds':>6} " +
          " ".join(f"{k:>10}" for k in kinds))
    try:
        for mode in args.modes.split(","):
            tally, rounds = one_mode(args, tmp, mode)
            for what in ("gemini", "gopher menu", "gopher text"):
                print(f"{mode:9} {what:12} {rounds:6} " +
                      " ".join(f"{tally.count(what, k):10}" for k in kinds))
                failed |= tally.bad(what) - tally.count(what, "refused") > 0
            for ex in tally.examples[:5]:
                print("   e.g.", ex)
            sys.stdout.flush()
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
