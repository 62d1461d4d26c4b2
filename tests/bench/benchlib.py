"""The bench's parts that are not the plan: servers started and stopped by
PID, the load generator's runs, /proc readings, the capsule, the log
check, and table formatting.  Standard library only."""
import os
import pathlib
import re
import resource
import shlex
import signal
import socket
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
NOFILE_WANT = 16384         # 10,000 idle connections and some room
SMALL = "small.gmi"         # about 2.5 KB of gemtext
TEXT = "text.txt"           # 10 KB of plain text
MB1 = "1mb.bin"
MB100 = "100mb.bin"
MB = 1000 * 1000

COMMANDS = []               # every command line run, for the report


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


def usable_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        return NOFILE_WANT
    return min(NOFILE_WANT, hard)


def raise_nofile():
    """preexec_fn: raise the soft limit on open files for a child."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = usable_nofile()
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def cmdline(argv):
    return " ".join(shlex.quote(str(a)) for a in argv)


def loadavg():
    try:
        return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


class Server:
    """One server process started here; stopped by its PID only.  With
    netns, it lives in a network namespace of its own (the loopback of
    which clients reach through nsenter)."""

    def __init__(self, name, argv, log_path, ports, cwd=None, user=None,
                 netns=False):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.ports = ports
        self.netns = netns
        self.log_path = log_path
        self.log = open(log_path, "wb")
        COMMANDS.append((name, self.argv))
        kw = {}
        if user:
            kw.update(user=user, group=user, extra_groups=[])
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
        deadline = time.monotonic() + timeout
        probe = self.wrap([sys.executable, "-c",
                           "import socket; socket.create_connection("
                           f"('{HOST}', {port}), timeout=0.5)"])
        while time.monotonic() < deadline and self.alive():
            if subprocess.run(probe, capture_output=True,
                              timeout=10).returncode == 0:
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

    def pids(self):
        """The process and its live children: attache serves from a child
        of its privileged process, and both are counted."""
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as f:
                return [self.pid] + [int(x) for x in f.read().split()]
        except OSError:
            return [self.pid]

    def status_kb(self, field):
        """A memory field of /proc/PID/status, summed over pids()."""
        total, seen = 0, False
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith(field + ":"):
                            total += int(line.split()[1])
                            seen = True
            except OSError:
                pass
        return total if seen else None

    def cpu_s(self):
        """utime+stime of the processes and their reaped children, s."""
        total, seen = 0, False
        for pid in self.pids():
            try:
                stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            total += sum(int(x) for x in fields[11:15])
            seen = True
        return total / CLK_TCK if seen else None

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


def parse_kv(text):
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and " " not in k:
            try:
                out[k] = float(v) if "." in v else int(v)
            except ValueError:
                out[k] = v
    return out


def run_load(loadgen, server, label, proto, port, request, conns, requests,
             duration, resume=False, expect=None, min_bytes=0, timeout=15):
    """One bounded load; returns loadgen's figures and the server's CPU."""
    argv = [loadgen, "--proto", proto, "--host", HOST, "--port", port,
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
    COMMANDS.append((f"{server.name}: {label}, {conns} clients", argv))
    cpu0 = server.cpu_s()
    try:
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=duration + 2 * timeout + 30,
                           preexec_fn=raise_nofile)
        r = parse_kv(p.stdout)
        r["exit"] = p.returncode
        r["stderr"] = p.stderr.strip()
    except subprocess.TimeoutExpired:
        r = {"exit": "timeout", "stderr": "loadgen did not finish"}
    cpu1 = server.cpu_s()
    r.update(label=label, server=server.name, conns=conns, resume=resume,
             server_alive=server.alive())
    n = r.get("requests") or 0
    r["cpu_ms"] = ((cpu1 - cpu0) * 1000 / n if n and cpu0 is not None and
                   cpu1 is not None else None)
    line = (f"  {server.name}: {label:<36} c={conns:<3} "
            f"{r.get('requests', '?')} req, {r.get('failures', '?')} failed, "
            f"{r.get('rps', 0):.0f} req/s")
    if r.get("first_error"):
        line += f"  first error: {r['first_error']}"
    if r["exit"] not in (0, 1):
        line += f"  [loadgen exit {r['exit']}: {r['stderr'][:200]}]"
    if not r["server_alive"]:
        line += "  [SERVER DIED]"
    say(line)
    return r


def run_idle(loadgen, server, label, port, count, hold, port2=None,
             threads=2, settle=1.0):
    """Opens count silent connections (connect, send nothing), every other
    on port2 when given; returns loadgen's figures with the server's RSS
    before, while they are held, and the process's RSS afterwards is for
    the caller to sample."""
    argv = [loadgen, "--proto", "gemini", "--host", HOST, "--port", port,
            "--idle", count, "--silent", "--hold", hold,
            "--connections", threads, "--duration", 30, "--timeout", 5]
    if port2:
        argv += ["--port2", port2]
    argv = server.wrap([str(a) for a in argv])
    COMMANDS.append((f"{server.name}: {label}", argv))
    rss0 = server.status_kb("VmRSS")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=raise_nofile)
    first = p.stdout.readline()          # "ready opened=N", or EOF
    rss1 = None
    if first.startswith("ready"):
        time.sleep(settle)               # the server's side settles
        rss1 = server.status_kb("VmRSS")
    try:
        out, err = p.communicate(timeout=hold + 60)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    r = parse_kv(first + out)
    r.update(exit=p.returncode, stderr=err.strip(), label=label,
             server=server.name, rss0=rss0, rss1=rss1, count=count)
    say(f"  {server.name}: {label}: opened {r.get('opened', 0)}/{count}, "
        f"RSS {rss0} -> {rss1} kB, longest connect "
        f"{r.get('connect_max_ms', '?')} ms")
    return r


def rss_settle(server, below_kb, limit_s):
    """Samples RSS each second for up to limit_s seconds (stopping early
    once under below_kb); returns (last RSS, seconds it took or None)."""
    t0 = time.monotonic()
    rss = server.status_kb("VmRSS")
    while True:
        waited = time.monotonic() - t0
        if rss is not None and rss < below_kb:
            return rss, waited
        if waited >= limit_s:
            return rss, None
        time.sleep(1.0)
        rss = server.status_kb("VmRSS")


def small_gemtext():
    lines = ["# A small page", "",
             "This page is what the benchmark asks for most: about two and a "
             "half kilobytes of gemtext, with a heading, paragraphs, links, a "
             "list and a quote.", ""]
    for i in range(1, 14):
        lines += [f"## Section {i}", "",
                  f"Paragraph {i}: the quick brown fox jumps over the lazy "
                  "dog, and the server renders this for Gopher as a menu of "
                  "info lines.",
                  f"=> /{TEXT} A text file ({i})", f"* item {i}", ""]
    lines += ["> A quote to finish.", ""]
    return "\n".join(lines)


def make_capsule(base, big=True):
    cap = base / "capsule"
    cap.mkdir()
    (cap / "index.gmi").write_text("# Bench capsule\n\n=> small.gmi Small\n")
    (cap / SMALL).write_text(small_gemtext())
    (cap / TEXT).write_text("".join(
        f"line {i:03d} of a plain text file, served as Gopher type 0, ten "
        "kilobytes.\n" for i in range(144)))
    block = os.urandom(1 << 20)
    (cap / MB1).write_bytes(block)
    if big:
        with open(cap / MB100, "wb") as f:
            for _ in range(100):
                f.write(block)
    return cap


ACCESS = re.compile(r'^\S+Z (\S+) (gemini|gopher) (\S+) "(.*)" (\S+) (\d+) '
                    r'(\d+)ms(?: \((.*)\))?$')


def check_log(text, expected):
    """attache's log: one access line per request answered, none failed,
    nothing but info lines besides.  Returns the problems seen."""
    problems, other, odd = [], [], {}
    access = 0
    for line in text.splitlines():
        m = ACCESS.match(line)
        if m:
            access += 1
            proto, status, why = m.group(2), m.group(5), m.group(8)
            if (proto == "gemini" and status != "20") or \
                    (proto == "gopher" and status == "3") or why:
                key = f"{proto} {status} {why or ''}".strip()
                odd.setdefault(key, [0, line])[0] += 1
        elif " attache info: " not in line:
            other.append(line)
    for key, (n, example) in sorted(odd.items()):
        problems.append(f"{n} access lines '{key}', e.g.: {example}")
    if other:
        problems.append(f"{len(other)} other log lines, first ones:")
        problems += ["    " + x for x in other[:8]]
    if expected is not None and access != expected:
        problems.append(f"access lines: {access}, requests answered: "
                        f"{expected}")
    return problems


def answered(results):
    """Requests that reached the server's request handling."""
    return sum((r.get("requests") or 0) - (r.get("fail_connect") or 0)
               - (r.get("fail_tls") or 0) for r in results)


def fmt(v, spec="{:.0f}", none="-"):
    return none if v is None else spec.format(v)


def table(rows, header):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    out = []
    for i, row in enumerate([header] + rows):
        cells = [str(c).ljust(w) if j == 0 else str(c).rjust(w)
                 for j, (c, w) in enumerate(zip(row, widths))]
        out.append("  ".join(cells).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return out
