"""The system calls of a request for a settled file (bench.py's section
"hot path"), counted by strace on attache's server process: a file nobody
is writing must cost what it always did.  With --compare BIN, the same for
another build of attache, side by side (the build before a change, say).

strace slows the server down: these runs are counted, never timed."""
import signal
import subprocess
import time

from benchlib import (COMMANDS, HOST, SMALL, TEXT, Server, free_port,
                      run_load, say)

# What each request asks for, and how many of them are counted.
LOADS = (("Gemini page (2.5 KB)", "gemini", f"gemini://localhost/{SMALL}\r\n"),
         ("Gopher menu of the page", "gopher", f"/{SMALL}\r\n"),
         ("Gopher text file (10 KB)", "gopher", f"/{TEXT}\r\n"))
REQUESTS = 500
# The calls that touch the file; the others are the connection's.
FILE_CALLS = ("openat", "openat2", "open", "fstat", "newfstatat", "statx",
              "fcntl", "read", "pread64", "sendfile", "close", "lseek")


def server_pid(srv):
    """The server process: the privileged process's child."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = srv.pids()
        if len(pids) > 1:
            return pids[-1]
        time.sleep(0.02)
    return None


def parse_strace(text):
    """{syscall: calls} from strace -c's table."""
    calls = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
            try:
                calls[parts[-1]] = int(parts[3])
            except ValueError:
                continue
    return calls


def count(args, tmp, cap, certs, binary, tag):
    """{load label: {syscall: calls per request}} for binary."""
    gem, gop = free_port(), free_port()
    argv = [binary, "--capsule", cap, "--certs", certs, "--hostname",
            "localhost", "--listen", HOST, "--gemini-port", gem,
            "--gopher-port", gop, "--lang", "en", "--workers", "1",
            "--max-connections-per-address", "off", "--rate-limit", "off"]
    srv = Server(f"attache{tag}", argv, tmp / f"attache{tag}.log", [gem, gop])
    out = {}
    try:
        pid = server_pid(srv)
        for label, proto, request in LOADS:
            port = gem if proto == "gemini" else gop
            # Warm: the file read once, kept, the TLS session cache full.
            run_load(args.loadgen, srv, "warm-up", proto, port, request, 1,
                     50, 10)
            log = tmp / f"strace{tag}-{proto}-{len(out)}.txt"
            st = subprocess.Popen(["strace", "-f", "-c", "-o", str(log),
                                   "-p", str(pid)],
                                  stderr=subprocess.DEVNULL)
            COMMANDS.append((f"strace of attache{tag}", st.args))
            time.sleep(0.5)             # strace attaches to every thread
            r = run_load(args.loadgen, srv, label, proto, port, request, 1,
                         REQUESTS, 60)
            st.send_signal(signal.SIGINT)
            st.wait(30)
            done = max(1, int(r.get("requests") or REQUESTS))
            out[label] = {k: v / done for k, v in
                          parse_strace(log.read_text()).items()}
    finally:
        srv.stop()
    return out


def run(args, tmp, cap, certs):
    say("attache: system calls per request of a settled file (strace)")
    res = {"attache": count(args, tmp, cap, certs, args.bin, "-syscalls")}
    if getattr(args, "compare", None):
        res["compared"] = count(args, tmp, cap, certs, args.compare,
                                "-compared")
    return res


def report(res):
    out = ["Hot path: system calls per request of a settled file (strace -c",
           "on the server process, one worker, one client; the file calls",
           "first, then all of them)"]
    cols = list(res)
    for label, _, _ in LOADS:
        out.append(f"  {label}")
        names = sorted({n for c in cols for n in res[c].get(label, {})})
        file_names = [n for n in names if n in FILE_CALLS]
        for n in file_names:
            out.append(f"    {n:<12}" + "".join(
                f"{res[c].get(label, {}).get(n, 0):>10.2f}" for c in cols))
        out.append(f"    {'all':<12}" + "".join(
            f"{sum(res[c].get(label, {}).values()):>10.2f}" for c in cols))
    out.append("  columns: this build" + (", then the build given to "
                                           "--compare" if len(cols) > 1
                                           else ""))
    return out
