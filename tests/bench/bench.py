#!/usr/bin/python3
"""attache's benchmark, run by `make bench`: speed and memory, on loopback.

Builds nothing (the Makefile builds ./attache and build/loadgen).  Creates a
temporary capsule and certificate directory, starts attache on free
127.0.0.1 ports, drives it with build/loadgen (C, pthreads, OpenSSL), reads
the server's CPU time and memory from /proc, and prints a table.  Every load
is bounded in requests and in seconds; only processes started here are
stopped, by PID.  With --peers, molly-brown (Gemini) and gophernicus
(Gopher) from Debian are measured the same way for comparison.

Standard library only.
"""
import argparse
import datetime
import json
import os
import pathlib
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import bench_search

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
IDLE_CONNS = 1000
NOFILE_WANT = 4096
SMALL = "small.gmi"
TEXT = "small.txt"
MB1 = "1mb.bin"
MB100 = "100mb.bin"
MB = 1000 * 1000

COMMANDS = []           # every command line run, for the report


# --- helpers ----------------------------------------------------------------

def say(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def raise_nofile():
    """preexec_fn: raise the soft limit on open files for a child."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE_WANT if hard == resource.RLIM_INFINITY else min(NOFILE_WANT, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def nofile_limits():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    usable = NOFILE_WANT if hard == resource.RLIM_INFINITY else min(NOFILE_WANT, hard)
    return soft, hard, usable


def cmdline(argv):
    return " ".join(shlex.quote(str(a)) for a in argv)


def short(path_or_str, tmp):
    """A command line for the report, with the temporary dir shortened."""
    return str(path_or_str).replace(str(tmp), "$TMP").replace(str(ROOT) + "/", "")


def git_version():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return "no commit yet"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10)
        return rev.stdout.strip() + (" (+ local changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def loadavg():
    try:
        return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --- a server under test ------------------------------------------------------

class Server:
    """One server process started here; stopped by its PID only."""

    def __init__(self, name, argv, log_path, ports, cwd=None, user=None,
                 netns=False):
        self.name = name
        self.display = name.split("-")[0] if name.startswith("attache") else name
        self.argv = [str(a) for a in argv]
        self.log_path = log_path
        self.ports = ports
        self.netns = netns
        self.log = open(log_path, "wb")
        COMMANDS.append((name, self.argv))
        kw = {}
        if user:
            kw["user"] = user
            kw["group"] = user
            kw["extra_groups"] = []
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=cwd, preexec_fn=raise_nofile, **kw)
        self.pid = self.proc.pid
        for p in ports:
            if not self._wait(p):
                self.stop()
                raise RuntimeError(f"{name} did not start on port {p}:\n"
                                   + self.log_text()[-2000:])

    def _wait(self, port, timeout=10.0):
        if not self.netns:
            return wait_port(port, timeout)
        # The server is in its own network namespace: probe from inside it.
        deadline = time.monotonic() + timeout
        probe = ["nsenter", f"--net=/proc/{self.pid}/ns/net", "--",
                 sys.executable, "-c",
                 f"import socket; socket.create_connection(('{HOST}', {port}), timeout=0.5)"]
        while time.monotonic() < deadline and self.alive():
            if subprocess.run(probe, capture_output=True, timeout=10).returncode == 0:
                return True
            time.sleep(0.05)
        return False

    def wrap(self, argv):
        """A client command line that reaches this server's loopback."""
        if self.netns:
            return ["nsenter", f"--net=/proc/{self.pid}/ns/net", "--"] + argv
        return argv

    def alive(self):
        return self.proc.poll() is None

    def status_kb(self, field):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def _stat(self):
        try:
            stat = pathlib.Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        # fields[0] is field 3 (state) of proc(5).
        return stat[stat.rindex(")") + 2:].split()

    def cpu_s(self):
        """utime+stime of the process and its reaped children, seconds."""
        f = self._stat()
        return None if f is None else sum(int(x) for x in f[11:15]) / CLK_TCK

    def minflt(self):
        """Minor page faults of the process (field 10)."""
        f = self._stat()
        return None if f is None else int(f[7])

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        return pathlib.Path(self.log_path).read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


# --- loads --------------------------------------------------------------------

def parse_kv(text):
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and " " not in k:
            try:
                out[k] = float(v) if "." in v or k.endswith(("_s", "_ms")) else int(v)
            except ValueError:
                out[k] = v
    return out


def run_load(args, tmp, server, label, proto, port, request, conns, requests,
             duration, resume=False, expect=None, min_bytes=0, timeout=15):
    argv = [args.loadgen, "--proto", proto, "--host", HOST, "--port", port,
            "--request", request, "--connections", conns,
            "--requests", requests, "--duration", duration,
            "--timeout", timeout]
    if resume:
        argv.append("--resume")
    if expect is not None:
        argv += ["--expect", expect]
    if min_bytes:
        argv += ["--min-bytes", min_bytes]
    argv = server.wrap([str(a) for a in argv])
    COMMANDS.append((label, argv))
    cpu0, flt0 = server.cpu_s(), server.minflt()
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=duration + 2 * timeout + 30,
                           preexec_fn=raise_nofile)
        r = parse_kv(p.stdout)
        r["exit"] = p.returncode
        r["stderr"] = p.stderr.strip()
    except subprocess.TimeoutExpired:
        r = {"exit": "timeout", "stderr": "loadgen did not finish"}
    r["wall_s"] = time.monotonic() - t0
    cpu1, flt1 = server.cpu_s(), server.minflt()
    r["server_minflt"] = (flt1 - flt0) if flt0 is not None and flt1 is not None else None
    r["label"] = label
    r["server"] = server.display
    r["conns"] = conns
    r["resume_opt"] = resume
    r["server_cpu_s"] = (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None
    r["server_alive"] = server.alive()
    n = r.get("requests") or 0
    r["server_cpu_us_per_req"] = (r["server_cpu_s"] / n * 1e6
                                  if n and r["server_cpu_s"] is not None else None)
    fails = r.get("failures", "?")
    line = (f"  {label:<38} c={conns:<3} {r.get('requests', '?')} req, "
            f"{fails} failed, {r.get('rps', 0):.0f} req/s")
    if r.get("first_error"):
        line += f"  first error: {r['first_error']}"
    if r["exit"] not in (0, 1):
        line += f"  [loadgen exit {r['exit']}: {r['stderr'][:200]}]"
    if not r["server_alive"]:
        line += "  [SERVER DIED]"
    say(line)
    return r


def run_idle(args, tmp, server, label, proto, port, count, hold):
    """Opens `count` idle connections; returns (result, rss_with_kb)."""
    argv = server.wrap([str(a) for a in
                        [args.loadgen, "--proto", proto, "--host", HOST,
                         "--port", port, "--idle", count, "--hold", hold,
                         "--connections", 2, "--duration", 7, "--timeout", 5]])
    COMMANDS.append((label, argv))
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=raise_nofile)
    rss_with = None
    first = p.stdout.readline()          # "ready opened=N", or EOF on error
    if first.startswith("ready"):
        time.sleep(1.0)                  # let the server finish its side
        rss_with = server.status_kb("VmRSS")
    try:
        out, err = p.communicate(timeout=hold + 30)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    r = parse_kv(first + out)
    r["exit"] = p.returncode
    r["stderr"] = err.strip()
    return r, rss_with


# --- the capsule --------------------------------------------------------------

def small_gemtext():
    lines = ["# A small page", "",
             "This page is what the benchmark asks for most: about two kilobytes "
             "of gemtext, with a heading, paragraphs, links, a list and a quote.", ""]
    for i in range(1, 7):
        lines += [f"## Section {i}", "",
                  f"Paragraph {i}: the quick brown fox jumps over the lazy dog, "
                  "and the server renders this for Gopher as a menu of info lines.",
                  f"=> /{TEXT} A text file ({i})",
                  f"* item {i}", ""]
    lines += ["> A quote to finish.", ""]
    return "\n".join(lines)


def make_capsule(base):
    cap = base / "capsule"
    cap.mkdir()
    (cap / "index.gmi").write_text("# Bench capsule\n\n=> small.gmi Small\n")
    (cap / SMALL).write_text(small_gemtext())
    (cap / TEXT).write_text("".join(f"line {i:03d} of a plain text file, "
                                    "served as Gopher type 0.\n" for i in range(40)))
    block = os.urandom(MB)
    (cap / MB1).write_bytes(block)
    with open(cap / MB100, "wb") as f:
        for _ in range(100):
            f.write(block)
    return cap


# --- the report ---------------------------------------------------------------

def fmt(v, spec="{:.0f}", none="-"):
    return none if v is None else spec.format(v)


def table(rows, header):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    out = []
    for i, row in enumerate([header] + rows):
        cells = []
        for j, (cell, w) in enumerate(zip(row, widths)):
            cells.append(str(cell).ljust(w) if j == 0 else str(cell).rjust(w))
        out.append("  ".join(cells).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def request_rows(results):
    rows = []
    for r in results:
        rows.append([
            f"{r['server']}: {r['label']}",
            r["conns"],
            r.get("requests", "?"),
            r.get("failures", "?"),
            fmt(r.get("rps")),
            fmt(r.get("p50_ms"), "{:.2f}"),
            fmt(r.get("p90_ms"), "{:.2f}"),
            fmt(r.get("p99_ms"), "{:.2f}"),
            fmt(r.get("max_ms"), "{:.1f}"),
            fmt(r.get("server_cpu_us_per_req")),
        ])
    return rows


# time, client, protocol, site, "request", status, bytes, duration, (why)
ACCESS = re.compile(r'^\S+Z (\S+) (gemini|gopher) (\S+) "(.*)" (\S+) (\d+) (\d+)ms(?: \((.*)\))?$')


def check_log(text, expected_requests):
    """Counts access lines; returns (count, problems as strings)."""
    problems = []
    access = 0
    odd_status = {}
    other = []
    for line in text.splitlines():
        m = ACCESS.match(line)
        if m:
            access += 1
            proto, status, reason = m.group(2), m.group(5), m.group(8)
            bad = (proto == "gemini" and status != "20") or \
                  (proto == "gopher" and status == "3") or reason
            if bad:
                key = f"{proto} {status} {reason or ''}".strip()
                odd_status.setdefault(key, [0, line])[0] += 1
            continue
        if " attache info: " in line:
            continue
        other.append(line)
    for key, (n, example) in sorted(odd_status.items()):
        problems.append(f"{n} access lines '{key}', e.g.: {example}")
    if other:
        problems.append(f"{len(other)} other log lines, first ones:")
        problems += ["    " + x for x in other[:8]]
    if access != expected_requests:
        problems.append(f"access lines: {access}, requests answered by the "
                        f"load generator: {expected_requests}")
    return access, problems


# --- phases -------------------------------------------------------------------

def attache_server(args, tmp, cap, certs, tag):
    gem, gop = free_port(), free_port()
    argv = [args.bin, "--capsule", cap, "--certs", certs, "--hostname", "localhost",
            "--listen", HOST, "--gemini-port", gem, "--gopher-port", gop,
            "--lang", "en"]
    srv = Server(f"attache{tag}", argv, tmp / f"attache{tag}.log", [gem, gop])
    srv.gem, srv.gop = gem, gop
    return srv


def answered(results):
    """Requests that reached the server's request handling."""
    return sum((r.get("requests") or 0) - (r.get("fail_connect") or 0)
               - (r.get("fail_tls") or 0) for r in results)


def finish(srv, results, what):
    """Stops srv; returns the problems seen in its exit and its log."""
    alive = srv.alive()
    code = srv.stop()
    _, problems = check_log(srv.log_text(), answered(results))
    if not alive:
        problems.insert(0, f"attache exited during {what} (status {code})")
    elif code != 0:
        problems.insert(0, f"attache exit status after SIGTERM: {code}")
    return [f"[{srv.name}] {x}" for x in problems]


def bench_small(args, tmp, cap, certs):
    """Small pages, on a server of their own."""
    srv = attache_server(args, tmp, cap, certs, "-small")
    mem = {"start_rss": srv.status_kb("VmRSS"), "threads": srv.status_kb("Threads")}
    gsmall = f"gemini://localhost/{SMALL}\\r\\n"
    speed = []
    try:
        say("attache: warm-up")
        warm = [run_load(args, tmp, srv, "warm-up gemini", "gemini", srv.gem, gsmall, 2, 200, 5),
                run_load(args, tmp, srv, "warm-up gopher", "gopher", srv.gop, f"/{SMALL}\\r\\n", 2, 200, 5)]
        say("attache: small page")
        loads = [
            ("Gemini small page, full handshake", "gemini", srv.gem, gsmall, 1, 2000, False, "20 "),
            ("Gemini small page, full handshake", "gemini", srv.gem, gsmall, 16, 4000, False, "20 "),
            ("Gemini small page, resumed session", "gemini", srv.gem, gsmall, 1, 3000, True, "20 "),
            ("Gemini small page, resumed session", "gemini", srv.gem, gsmall, 16, 6000, True, "20 "),
            ("Gopher small page as menu", "gopher", srv.gop, f"/{SMALL}\\r\\n", 1, 8000, False, "i# "),
            ("Gopher small page as menu", "gopher", srv.gop, f"/{SMALL}\\r\\n", 16, 15000, False, "i# "),
            ("Gopher text file", "gopher", srv.gop, f"/{TEXT}\\r\\n", 1, 8000, False, "line 000"),
            ("Gopher text file", "gopher", srv.gop, f"/{TEXT}\\r\\n", 16, 15000, False, "line 000"),
        ]
        for label, proto, port, req, c, n, resume, expect in loads:
            speed.append(run_load(args, tmp, srv, label, proto, port, req, c,
                                  max(1, int(n * args.scale)), 6, resume=resume, expect=expect))
            if not srv.alive():
                break
        mem["hwm_after_small"] = srv.status_kb("VmHWM")
    finally:
        problems = finish(srv, warm + speed, "the small-page loads")
    return speed, mem, problems


def bench_files(args, tmp, cap, certs, mem):
    """Files, on a fresh server: its heap has not been grown by other loads."""
    srv = attache_server(args, tmp, cap, certs, "-files")
    tput = []
    try:
        say("attache: files (fresh server)")
        warm = [run_load(args, tmp, srv, "warm-up gemini", "gemini", srv.gem,
                         f"gemini://localhost/{SMALL}\\r\\n", 1, 20, 5),
                run_load(args, tmp, srv, "warm-up gopher", "gopher", srv.gop,
                         f"/{SMALL}\\r\\n", 1, 20, 5)]
        mem["hwm_before_files"] = srv.status_kb("VmHWM")
        files = [
            ("Gemini 100 MB file", "gemini", srv.gem, f"gemini://localhost/{MB100}\\r\\n", 1, 3, 100 * MB, "20 "),
            ("Gemini 100 MB file", "gemini", srv.gem, f"gemini://localhost/{MB100}\\r\\n", 4, 4, 100 * MB, "20 "),
            ("Gopher 100 MB file", "gopher", srv.gop, f"/{MB100}\\r\\n", 1, 3, 100 * MB, None),
            ("Gopher 100 MB file", "gopher", srv.gop, f"/{MB100}\\r\\n", 4, 4, 100 * MB, None),
            ("Gemini 1 MB file", "gemini", srv.gem, f"gemini://localhost/{MB1}\\r\\n", 4, 400, MB, "20 "),
            ("Gopher 1 MB file", "gopher", srv.gop, f"/{MB1}\\r\\n", 4, 800, MB, None),
        ]
        for label, proto, port, req, c, n, size, expect in files:
            if not srv.alive():
                break
            if size < 100 * MB:
                n = max(1, int(n * args.scale))
            tput.append(run_load(args, tmp, srv, label, proto, port, req, c, n, 20,
                                 expect=expect, min_bytes=size, timeout=20))
        mem["hwm_after_files"] = srv.status_kb("VmHWM")
        mem["rss_after_files"] = srv.status_kb("VmRSS")
    finally:
        problems = finish(srv, warm + tput, "the file loads")
    return tput, problems


def bench_idle(args, tmp, cap, certs):
    """Fresh server per kind, so earlier loads do not blur the figures."""
    out = []
    problems = []
    _, _, usable = nofile_limits()
    count = min(IDLE_CONNS, usable - 100)
    for proto, label in (("gopher", "idle Gopher connections (TCP)"),
                         ("gemini", "idle Gemini connections (TLS, post-handshake)")):
        srv = attache_server(args, tmp, cap, certs, f"-idle-{proto}")
        port = srv.gop if proto == "gopher" else srv.gem
        try:
            req = f"gemini://localhost/{SMALL}\\r\\n" if proto == "gemini" else f"/{SMALL}\\r\\n"
            warm = run_load(args, tmp, srv, f"warm-up {proto}", proto, port, req, 2, 100, 5)
            time.sleep(0.5)
            rss0 = srv.status_kb("VmRSS")
            r, rss1 = run_idle(args, tmp, srv, label, proto, port, count, 3)
            time.sleep(0.5)
            rss_after = srv.status_kb("VmRSS")
            opened = r.get("opened") or 0
            per = ((rss1 - rss0) / opened) if rss1 is not None and rss0 is not None and opened else None
            say(f"  {label}: opened {opened}/{count}, RSS {rss0} -> {rss1} kB, "
                f"dropped by server while held: {r.get('dropped_by_server', '?')}")
            out.append({"label": label, "count": count, "opened": opened,
                        "rss0": rss0, "rss1": rss1, "rss_after": rss_after,
                        "per_kb": per, "dropped": r.get("dropped_by_server"),
                        "failures": r.get("failures"), "open_s": r.get("open_s"),
                        "first_error": r.get("first_error")})
            if opened != count:
                problems.append(f"{label}: opened {opened} of {count} in {r.get('open_s')} s "
                                f"(failed {r.get('failures')}, not attempted before the "
                                f"deadline {r.get('not_attempted')}) "
                                f"{r.get('first_error', '')} {r.get('stderr', '')}".rstrip())
            if r.get("dropped_by_server"):
                problems.append(f"{label}: the server closed {r['dropped_by_server']} "
                                "idle connections within the hold (before its 10 s limit)")
        finally:
            problems += finish(srv, [warm], "the idle test")
    return out, problems


# --- peers (optional) -----------------------------------------------------------

def peer_packages_ok():
    need = [("molly-brown", "/usr/bin/molly-brown"), ("gophernicus", "/usr/sbin/gophernicus"),
            ("iproute2", "/usr/sbin/ip"), ("util-linux", "/usr/bin/nsenter"),
            ("systemd", "/usr/bin/systemd-socket-activate")]
    missing = [pkg for pkg, path in need if not os.path.exists(path)]
    if missing:
        helper = ROOT / "scripts" / "need-packages"
        r = subprocess.run([str(helper)] + missing)
        if r.returncode != 0:
            return False
    return True


def bench_peers(args, tmp, certs):
    if not peer_packages_ok():
        say("peers: packages missing, skipped")
        return [], ["peers skipped: packages missing"]
    results, problems = [], []
    base = tmp / "peers"
    docs = base / "docs"
    docs.mkdir(parents=True)
    shutil.copy(tmp / "capsule" / SMALL, docs / SMALL)
    shutil.copy(tmp / "capsule" / TEXT, docs / TEXT)
    for f in ("localhost.crt", "localhost.key"):
        shutil.copy(certs / f, base / f)
    # The peers run as an unprivileged user (gophernicus refuses root).
    os.chmod(tmp, 0o755)
    for p in (base, docs):
        os.chmod(p, 0o755)
    for p in list(docs.iterdir()) + [base / "localhost.crt"]:
        os.chmod(p, 0o644)

    # molly-brown listens on every address: give it a network namespace of
    # its own whose only interface is loopback; the load generator joins it.
    port = 1965
    conf = base / "molly.conf"
    conf.write_text(f'Port = {port}\nHostname = "localhost"\n'
                    f'CertPath = "{base}/localhost.crt"\nKeyPath = "{base}/localhost.key"\n'
                    f'DocBase = "{docs}"\nAccessLog = "{base}/molly-access.log"\n'
                    f'ErrorLog = "{base}/molly-error.log"\n')
    say("molly-brown (Gemini, Go), in its own network namespace")
    try:
        srv = Server("molly-brown", ["unshare", "--net", "--", "sh", "-c",
                                     f"ip link set lo up && exec molly-brown -c {conf}"],
                     base / "molly.log", [port], netns=True)
    except (RuntimeError, OSError) as e:
        problems.append(f"molly-brown did not start: {e}")
        srv = None
    if srv:
        req = f"gemini://localhost/{SMALL}\\r\\n"
        try:
            run_load(args, tmp, srv, "warm-up", "gemini", port, req, 2, 200, 5)
            for c, n, resume in ((1, 2000, False), (16, 4000, False), (16, 6000, True)):
                lab = "Gemini small page, " + ("resumed session" if resume else "full handshake")
                results.append(run_load(args, tmp, srv, lab, "gemini", port, req, c,
                                        max(1, int(n * args.scale)), 4, resume=resume,
                                        expect="20 "))
            results[-1]["peak_rss_kb"] = srv.status_kb("VmHWM")
        finally:
            srv.stop()

    # gophernicus is started per connection by inetd; systemd-socket-activate
    # plays inetd here.
    port = free_port()
    say("gophernicus (Gopher, C, one process per connection via systemd-socket-activate)")
    try:
        srv = Server("gophernicus",
                     ["systemd-socket-activate", "--inetd", "--accept", "-l", f"{HOST}:{port}",
                      "/usr/sbin/gophernicus", "-h", "localhost", "-p", port, "-r", docs, "-nv"],
                     base / "gophernicus.log", [port], user="_gophernicus")
    except (RuntimeError, OSError) as e:
        problems.append(f"gophernicus did not start: {e}")
        srv = None
    if srv:
        try:
            run_load(args, tmp, srv, "warm-up", "gopher", port, f"/{TEXT}\\r\\n", 2, 50, 5)
            for lab, req, expect in (("Gopher directory menu", "/\\r\\n", "i"),
                                     ("Gopher text file", f"/{TEXT}\\r\\n", "line 000")):
                for c, n in ((1, 300), (16, 600)):
                    results.append(run_load(args, tmp, srv, lab, "gopher", port, req, c,
                                            max(1, int(n * args.scale)), 4, expect=expect))
        finally:
            srv.stop()
    return results, problems


# --- main -----------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=str(ROOT / "attache"), help="attache binary")
    ap.add_argument("--loadgen", default=str(ROOT / "build" / "loadgen"),
                    help="load generator binary (make build/loadgen)")
    ap.add_argument("--peers", action="store_true",
                    help="also measure molly-brown and gophernicus (Debian packages)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply request counts (e.g. 0.2 for a quick run)")
    ap.add_argument("--json", help="also write every raw figure to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--search-only", action="store_true",
                    help="only the search section (10,000 generated pages)")
    ap.add_argument("--no-search", action="store_true", help="skip the search section")
    args = ap.parse_args()

    for path, what in ((args.bin, "attache"), (args.loadgen, "loadgen")):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {what} binary not found: {path} (run `make bench`)")

    started = datetime.datetime.now(datetime.timezone.utc)
    t_start = time.monotonic()
    load_start = loadavg()
    soft, hard, usable = nofile_limits()
    say(f"bench: open files soft/hard limit {soft}/{hard}; children get {usable}")

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="attache-bench-"))
    problems = []
    try:
        say(f"bench: capsule in {tmp} (2 KB page, 1 MB and 100 MB files)")
        cap = make_capsule(tmp)
        certs = tmp / "certs"
        certs.mkdir()
        version = subprocess.run([args.bin, "--version"], capture_output=True,
                                 text=True, timeout=10).stdout.strip()

        speed, mem, tput, idle = [], {}, [], []
        if not args.search_only:
            speed, mem, p = bench_small(args, tmp, cap, certs)
            problems += p
            tput, p = bench_files(args, tmp, cap, certs, mem)
            problems += p
            idle, p = bench_idle(args, tmp, cap, certs)
            problems += p
        search, search_loads = {}, []
        if not args.no_search:
            say("attache: search (a generated capsule of 10,000 pages)")
            search, search_loads, p = bench_search.run(
                args, tmp, certs, Server, run_load, free_port, say)
            problems += p
        peers = []
        if args.peers:
            peers, p = bench_peers(args, tmp, certs)
            problems += p
        elapsed = time.monotonic() - t_start

        all_runs = speed + tput + peers + search_loads
        for r in all_runs:
            if r.get("failures") or r.get("exit") not in (0, 1) or not r.get("server_alive", True):
                problems.append(f"{r['server']}: {r['label']} c={r['conns']}: "
                                f"{r.get('failures', '?')} failures of {r.get('requests', '?')} "
                                + " ".join(f"{k}={r[k]}" for k in r if k.startswith("fail_") and r[k])
                                + (f"; first error: {r['first_error']}" if r.get("first_error") else "")
                                + (f"; loadgen exit {r['exit']} {r.get('stderr', '')}" if r.get("exit") not in (0, 1) else ""))
            if r.get("resume_opt") and r.get("requests") and \
                    (r.get("resumed") or 0) < r["requests"] - r["conns"]:
                problems.append(f"{r['server']}: {r['label']} c={r['conns']}: only "
                                f"{r.get('resumed')} of {r['requests']} handshakes resumed")

        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(
                {"speed": speed, "throughput": tput, "memory": mem, "idle": idle,
                 "peers": peers, "search": search, "search_loads": search_loads,
                 "problems": problems}, indent=1, default=str))

        # ---- report -------------------------------------------------------------
        out = [""]
        out.append("Commands")
        out.append("--------")
        for label, argv in COMMANDS:
            out.append(f"# {label}")
            out.append("  " + short(cmdline(argv), tmp))
        out.append("")
        out.append("=" * 78)
        out.append(f"attache bench   {started:%Y-%m-%d %H:%M} UTC   {version}   "
                   f"commit {git_version()}")
        out.append(f"machine: {os.cpu_count()} cores, load average {load_start} at start, "
                   f"{loadavg()} at end; run took {elapsed:.0f} s; loopback, loadgen on "
                   "the same cores")
        out.append("")
        out.append("Small pages (2 KB gemtext; req/s and latency seen by build/loadgen; "
                   "srv CPU = server utime+stime per request)")
        out += table(request_rows(speed + peers),
                     ["load", "conns", "reqs", "fail", "req/s", "p50 ms", "p90 ms",
                      "p99 ms", "max ms", "srv CPU us/req"])
        out.append("")
        out.append("Files (throughput; srv CPU = server CPU ms per MB sent; "
                   "faults = server minor page faults per MB)")
        rows = []
        for r in tput:
            mbs = (r.get("bytes") or 0) / MB
            rows.append([r["label"], r["conns"], r.get("requests", "?"), r.get("failures", "?"),
                         fmt(mbs), fmt(r.get("mb_s"), "{:.0f}"),
                         fmt(r.get("p50_ms"), "{:.1f}"),
                         fmt(r["server_cpu_s"] * 1000 / mbs if mbs and r.get("server_cpu_s") is not None else None, "{:.2f}"),
                         fmt(r["server_minflt"] / mbs if mbs and r.get("server_minflt") is not None else None, "{:.1f}")])
        out += table(rows, ["load", "conns", "reqs", "fail", "MB total", "MB/s",
                            "p50 ms", "srv CPU ms/MB", "faults/MB"])
        out.append("")
        out.append("Memory (kB)")

        def kb(v):
            return "-" if v is None else f"{v} kB"
        hb, ha = mem.get("hwm_before_files"), mem.get("hwm_after_files")
        flat = "" if hb is None or ha is None else \
            ("  flat" if ha - hb < 8 * 1024 else f"  GREW by {ha - hb} kB")
        out.append(f"  RSS at start (no connection yet):  {kb(mem.get('start_rss'))}"
                   f"   (server threads: {mem.get('threads', '?')})")
        out.append(f"  peak RSS (VmHWM) after the small-page loads:  {kb(mem.get('hwm_after_small'))}")
        out.append(f"  peak RSS (VmHWM) before / after the file loads (fresh server):  "
                   f"{kb(hb)} / {kb(ha)}{flat}")
        for i in idle:
            per = "-" if i["per_kb"] is None else f"{i['per_kb']:.1f} kB per connection"
            out.append(f"  {i['opened']} {i['label']}: RSS {kb(i['rss0'])} -> {kb(i['rss1'])}"
                       f" = {per} (after closing: {kb(i['rss_after'])})")
        for r in peers:
            if r.get("peak_rss_kb"):
                out.append(f"  {r['server']} peak RSS (VmHWM) after its loads: {kb(r['peak_rss_kb'])}")
        out.append("")
        if not args.no_search:
            out += bench_search.report(search, search_loads, table, fmt)
            out.append("")
        if problems:
            out.append("PROBLEMS SEEN")
            out += ["  " + x for x in problems]
        else:
            out.append("No failures, no unexpected server log lines, one access line per request.")
        out.append("=" * 78)
        say("\n".join(out))
        return 1 if problems else 0
    finally:
        if args.keep:
            say(f"bench: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
