#!/usr/bin/python3
"""Request-to-first-byte latency from the client stacks people use, for
`make bench` (bench.py calls run_round() in each of its rounds and
report() at the end).

What is timed: from the request's last byte written (the handshake done,
the request in a write of its own) to the first byte of the answer, with
the client's TCP stack as it comes: Nagle's algorithm on, no TCP_NODELAY,
except Go, which sets TCP_NODELAY itself, as every Go client does.  A
server that sends nothing after the client's Finished makes such a client
wait for the kernel's delayed ACK (about 40 ms) before its request leaves.

The client side runs as its own process, `bench_latency.py client JSON`,
started through Server.wrap() so that it joins the server's network
namespace (molly-brown's) the way loadgen does.  For C concurrent clients
it forks C children, each doing its requests one after another; every
socket and subprocess has a timeout and every row a deadline, so a run
ends by itself.  Standard library only; stacks: Python's ssl, `openssl
s_client`, `gnutls-cli`, and build/goclient (tests/bench/goclient, Go's
crypto/tls).
"""
import json
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from benchlib import HOST, SMALL

TIMEOUT = 5.0               # per socket operation or subprocess, s
MAX_ANSWER = 4 << 20        # bytes read from one answer at the most

# key, label, stack, TLS version, resume, protocol.  The table's rows, in
# order; Gopher rows run against attache only.
ROWS = (
    ("py13", "Python ssl, TLS 1.3, full handshake", "py", "1.3", False,
     "gemini"),
    ("py13r", "Python ssl, TLS 1.3, resumed", "py", "1.3", True, "gemini"),
    ("py12", "Python ssl, TLS 1.2, full handshake", "py", "1.2", False,
     "gemini"),
    ("py12r", "Python ssl, TLS 1.2, resumed", "py", "1.2", True, "gemini"),
    ("sc13", "openssl s_client, TLS 1.3, full handshake", "s_client", "1.3",
     False, "gemini"),
    ("sc13r", "openssl s_client, TLS 1.3, resumed (-sess_in)", "s_client",
     "1.3", True, "gemini"),
    ("gn13", "gnutls-cli, TLS 1.3, full handshake", "gnutls", "1.3", False,
     "gemini"),
    ("gn13r", "gnutls-cli --resume, TLS 1.3", "gnutls", "1.3", True,
     "gemini"),
    ("go13", "Go crypto/tls, TLS 1.3, full handshake", "go", "1.3", False,
     "gemini"),
    ("go13r", "Go crypto/tls, TLS 1.3, resumed", "go", "1.3", True,
     "gemini"),
    ("gopher", "Gopher, Python socket", "plain", None, False, "gopher"),
    ("gophertls", "Gopher over TLS, Python ssl, TLS 1.3", "py", "1.3",
     False, "gopher"),
)
# A process per request: fewer requests for these.
SUBPROCESS_STACKS = ("s_client", "gnutls")
CONNS = (1, 16)
# The 2.5 KB page, as a Gemini page and as a Gopher menu.
REQUESTS = {"gemini": f"gemini://localhost/{SMALL}\r\n",
            "gopher": f"/{SMALL}\r\n"}
EXPECT = {"gemini": "20 ", "gopher": "i"}


# ---------------------------------------------------------------- client

def first_byte(send, receive):
    """The timing every stack here shares: send() writes the request's
    last byte, receive() returns once the first bytes of the answer are
    in.  Returns (seconds between the two, those bytes)."""
    send()
    t0 = time.monotonic()
    data = receive()
    return time.monotonic() - t0, data


def read_rest(recv, data):
    """The rest of an answer, to EOF (bounded)."""
    while len(data) < MAX_ANSWER:
        chunk = recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class Output:
    """A subprocess's stdout, read as it comes, with a deadline."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b""
        self.eof = False

    def until(self, pattern, start=0):
        """Reads until pattern (a compiled bytes regex) matches from start;
        returns the match."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = pattern.search(self.buf, start)
            if m:
                return m
            left = deadline - time.monotonic()
            if self.eof or left <= 0:
                raise TimeoutError("no " + pattern.pattern.decode() +
                                   (" (EOF)" if self.eof else "") + ": " +
                                   self.buf[-300:].decode(errors="replace"))
            if select.select([self.fd], [], [], left)[0]:
                chunk = os.read(self.fd, 65536)
                self.eof = not chunk
                self.buf += chunk

    def to_eof(self):
        """Reads the rest, to EOF or for TIMEOUT seconds at the most."""
        deadline = time.monotonic() + TIMEOUT
        while not self.eof and len(self.buf) < MAX_ANSWER:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return
            chunk = os.read(self.fd, 65536)
            self.eof = not chunk
            self.buf += chunk


def write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def py_context(version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    return ctx


def one_py(job, state):
    """Python's ssl over a plain socket, as a script would."""
    if "ctx" not in state:
        state["ctx"] = py_context(job["tls"])
    raw = socket.create_connection((HOST, job["port"]), timeout=TIMEOUT)
    try:
        s = state["ctx"].wrap_socket(raw, server_hostname="localhost",
                                     session=state.get("session"))
        lat, data = first_byte(lambda: s.sendall(job["request"]),
                               lambda: s.recv(65536))
        data = read_rest(s.recv, data)
        if job["resume"] and s.session is not None:
            state["session"] = s.session
        return lat, data, s.session_reused
    finally:
        raw.close()


def one_plain(job, state):
    """A plain TCP socket (Gopher)."""
    with socket.create_connection((HOST, job["port"]), timeout=TIMEOUT) as s:
        lat, data = first_byte(lambda: s.sendall(job["request"]),
                               lambda: s.recv(65536))
        return lat, read_rest(s.recv, data), False


def one_tool(job, argv, handshake, resumed):
    """A command-line client with stdin a pipe: waits for `handshake` in
    its output, writes the request to its stdin, times until the answer's
    first bytes appear on its stdout."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        out = Output(p.stdout.fileno())
        end = out.until(handshake).end()
        answer = re.compile(b"(?m)^" + re.escape(job["expect"]))
        lat, _ = first_byte(lambda: write_all(p.stdin.fileno(),
                                              job["request"]),
                            lambda: out.until(answer, end))
        out.to_eof()
        return lat, out.buf[answer.search(out.buf, end).start():], \
            resumed.search(out.buf) is not None
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        p.stdin.close()
        p.stdout.close()


def one_s_client(job, state):
    """OpenSSL's own client; a resumed row resumes the session saved by
    the client's first, untimed request."""
    argv = ["openssl", "s_client", "-connect", f"{HOST}:{job['port']}",
            "-servername", "localhost", "-ign_eof",
            "-tls1_3" if job["tls"] == "1.3" else "-tls1_2"]
    if job["resume"]:
        sess = state.setdefault("sess", os.path.join(job["tmp"],
                                                     f"sess-{os.getpid()}"))
        argv += ["-sess_in", sess] if state.get("saved") else \
            ["-sess_out", sess]
    r = one_tool(job, argv, re.compile(rb"(?m)^Verify return code.*\n---\n"),
                 re.compile(rb"(?m)^Reused, "))
    state["saved"] = True
    return r


def one_gnutls(job, state):
    """GnuTLS's client (Emacs's stack).  --resume makes it connect twice,
    the second time resuming whatever the first handshake left it: only
    the second connection carries the request."""
    prio = "NORMAL:-VERS-ALL:+VERS-TLS" + job["tls"]
    argv = ["gnutls-cli", "--insecure", "--sni-hostname=localhost",
            "--priority", prio, "-p", str(job["port"]), HOST]
    if job["resume"]:
        # Under TLS 1.3 the ticket comes after the handshake: without
        # --waitresumption gnutls-cli reconnects before reading it.
        argv += ["--resume", "--waitresumption"]
    return one_tool(job, argv, re.compile(rb"(?m)^- Simple Client Mode:\n"),
                    re.compile(rb"(?m)^\*\*\* This is a resumed session"))


STACKS = {"py": one_py, "plain": one_plain, "s_client": one_s_client,
          "gnutls": one_gnutls}


def client_go(job, n, deadline):
    """build/goclient does the same as one client here, requests in a
    row, and prints a line per request."""
    argv = [job["goclient"], "-port", str(job["port"]), "-request",
            job["request"].decode(), "-expect", job["expect"].decode(),
            "-tls", job["tls"], "-n", str(n), "-seconds",
            f"{max(0.1, deadline - time.monotonic()):.1f}",
            "-timeout", str(TIMEOUT)]
    if job["resume"]:
        argv.append("-resume")
    out = {"lat_ms": [], "requests": 0, "failures": 0, "resumed": 0}
    try:
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=deadline - time.monotonic() + 2 * TIMEOUT)
    except subprocess.TimeoutExpired:
        out.update(failures=1, first_error="goclient did not finish")
        return out
    for line in p.stdout.splitlines():
        f = line.split(maxsplit=2)
        if f[0] == "sample":
            out["lat_ms"].append(float(f[1]))
            out["resumed"] += int(f[2])
        elif f[0] == "requests":
            out["requests"] = int(f[1])
        elif f[0] == "fail":
            out["failures"] += 1
            out.setdefault("first_error", f[-1])
    if p.returncode != 0:
        out["failures"] += 1
        out.setdefault("first_error", f"goclient exit {p.returncode}: "
                       f"{p.stderr.strip()[:200]}")
    return out


def client(job, n, deadline):
    """One client: n timed requests in a row (a resumed row first makes
    one untimed request for its session).  Returns its figures."""
    if job["stack"] == "go":
        return client_go(job, n, deadline)
    one = STACKS[job["stack"]]
    out = {"lat_ms": [], "requests": 0, "failures": 0, "resumed": 0}
    state = {}
    for i in range(n + (1 if job["resume"] else 0)):
        if time.monotonic() > deadline:
            break
        out["requests"] += 1
        try:
            lat, data, resumed = one(job, state)
            if not data.startswith(job["expect"]):
                raise ValueError(f"answer starts {data[:40]!r}")
        except (OSError, ValueError, TimeoutError) as e:
            out["failures"] += 1
            out.setdefault("first_error", f"{type(e).__name__}: {e}"[:300])
            continue
        if job["resume"] and i == 0:
            continue                    # the session's first, untimed
        out["lat_ms"].append(lat * 1000)
        out["resumed"] += bool(resumed)
    return out


def clients(job, conns, n, seconds):
    """conns concurrent clients, each a forked process; their figures
    merged."""
    deadline = time.monotonic() + seconds
    kids = []
    for _ in range(conns):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            code = 0
            try:
                res = client(job, n, deadline)
            except Exception as e:      # reported, never raised in a child
                res = {"failures": 1, "first_error": repr(e)[:300]}
                code = 1
            write_all(w, json.dumps(res).encode())
            os._exit(code)
        os.close(w)
        kids.append((pid, r))
    merged = {"lat_ms": [], "requests": 0, "failures": 0, "resumed": 0}
    for pid, r in kids:
        chunks = []
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(r)
        os.waitpid(pid, 0)
        try:
            res = json.loads(b"".join(chunks) or b"{}")
        except ValueError:
            res = {"failures": 1, "first_error": "a client said nothing"}
        merged["lat_ms"] += res.get("lat_ms", [])
        for k in ("requests", "failures", "resumed"):
            merged[k] += res.get(k, 0)
        if res.get("first_error"):
            merged.setdefault("first_error", res["first_error"])
    return merged


def client_main(spec):
    """`bench_latency.py client JSON`: every row of spec against one
    server, at each number of clients; prints the figures as JSON."""
    spec = json.loads(spec)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    results = []
    with tempfile.TemporaryDirectory(prefix="latency-") as tmp:
        for key in spec["rows"]:
            _, _, stack, tls, resume, proto = next(r for r in ROWS
                                                   if r[0] == key)
            job = {"stack": stack, "tls": tls, "resume": resume,
                   "port": spec["ports"][proto],
                   "request": spec["requests"][proto].encode(),
                   "expect": spec["expect"][proto].encode(),
                   "goclient": spec["goclient"], "tmp": tmp}
            for conns in CONNS:
                n = spec["n"]["tool" if stack in SUBPROCESS_STACKS
                              else "other"][str(conns)]
                r = clients(job, conns, n, spec["seconds"])
                r.update(row=key, conns=conns)
                results.append(r)
    print(json.dumps(results))


# ---------------------------------------------------------------- bench

class Plan:
    """Requests per client and round: (other stacks, a process per
    request) x clients."""

    def __init__(self, quick):
        self.n = {"other": {"1": 6 if quick else 10,
                            "16": 2 if quick else 3},
                  "tool": {"1": 4, "16": 1}}
        self.seconds = 15


def run_round(plan, goclient, targets, rnd, say, commands):
    """One round: every row against each of targets, a list of (server,
    results dict, {"gemini": port, "gopher": port}: the protocols it
    serves).  Appends each run's figures to results under ("latency",
    row, clients)."""
    for srv, res, ports in targets:
        rows = [r[0] for r in ROWS if ports.get(r[5]) is not None]
        spec = {"rows": rows, "ports": ports, "requests": REQUESTS,
                "expect": EXPECT, "goclient": goclient, "n": plan.n,
                "seconds": plan.seconds}
        argv = srv.wrap([sys.executable, os.path.abspath(__file__),
                         "client", json.dumps(spec)])
        if rnd == 0:
            commands.append((f"{srv.name}: latency from client stacks, "
                             "1 and 16 clients", argv))
        limit = len(rows) * len(CONNS) * (plan.seconds + 4 * TIMEOUT) + 30
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, capture_output=True, text=True,
                               timeout=limit)
            runs = json.loads(p.stdout) if p.returncode == 0 else []
            err = p.stderr.strip()[-300:]
        except (subprocess.TimeoutExpired, ValueError) as e:
            runs, err = [], str(e)[:300]
        if not runs:
            runs = [{"row": "all", "conns": 0, "requests": 0, "failures": 1,
                     "first_error": f"latency client failed: {err}"}]
        for r in runs:
            r.update(server=srv.name, exit=0,
                     label=f"latency, {label(r['row'])}")
            res.setdefault(("latency", r["row"], r["conns"]), []).append(r)
        bad = sum(r.get("failures", 0) for r in runs)
        say(f"  {srv.name}: latency, {len(rows)} client stacks x "
            f"{'/'.join(map(str, CONNS))} clients, "
            f"{sum(r.get('requests', 0) for r in runs)} req, {bad} failed, "
            f"{time.monotonic() - t0:.0f} s")


def label(key):
    return next((r[1] for r in ROWS if r[0] == key), key)


def pooled(res, key, conns):
    """Every round's samples of one row; None when there are none."""
    runs = res.get(("latency", key, conns)) or []
    lat = sorted(x for r in runs for x in r.get("lat_ms", []))
    if not lat:
        return None
    return {"p50": lat[(len(lat) - 1) // 2],
            "p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
            "n": len(lat), "resumed": sum(r.get("resumed", 0) for r in runs)}


def summary(columns):
    """{server: {row: {clients: p50, p99, n, resumed}}} for --json."""
    return {name: {key: {c: pooled(res, key, c) for c in CONNS}
                   for key, *_ in ROWS}
            for name, res in columns}


def report(columns, rounds, table, fmt):
    """The table: a row per client stack, p50 / p99 at 1 and 16 clients
    for each server of columns, a list of (name, results)."""
    def cell(p, resume):
        if p is None:
            return "-"
        s = f"{fmt(p['p50'], '{:.1f}')} / {fmt(p['p99'], '{:.1f}')}"
        if resume and p["resumed"] < p["n"]:
            s += f" ({p['resumed']}/{p['n']} resumed)"
        return s
    rows = []
    for key, what, stack, _, resume, _ in ROWS:
        row = [what + (" *" if stack in SUBPROCESS_STACKS else "")]
        for _, res in columns:
            row += [cell(pooled(res, key, c), resume) for c in CONNS]
        rows.append(row)
    header = ["client stack (request-to-first-byte, ms, p50 / p99)"]
    for name, _ in columns:
        header += [f"{name} 1 client", f"{name} 16"]
    out = ["Latency from client stacks as they come (Nagle on; Go sets "
           "TCP_NODELAY itself): last",
           "byte of the request written, after the handshake -> first "
           "byte of the answer"]
    out += table(rows, header)
    out.append(f"(every round's samples pooled, {rounds} rounds; * a "
               "process per request, fewer requests; a resumed row's "
               "first request per client is untimed; ~40 ms is the "
               "delayed ACK)")
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "client":
        client_main(sys.argv[2])
    else:
        sys.exit("usage: bench_latency.py client JSON (bench.py runs it)")
