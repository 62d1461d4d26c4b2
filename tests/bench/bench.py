#!/usr/bin/python3
"""attache's benchmark, run by `make bench`: attache against molly-brown
(Gemini) and Gophernicus (Gopher) from Debian, in the same run, on
loopback.

Builds nothing (the Makefile builds ./attache, build/loadgen, the floors
and build/goclient, and installs the peers).  Makes a temporary capsule,
starts each server on it, drives it with build/loadgen, reads the server's
CPU time and memory from /proc, and prints one table with every row of
issue 8 (attache, the peer, their ratio, the goal), the latencies at 1, 16
and 64 clients, and the client stacks' latency (bench_latency.py).  Every
load is bounded in requests and seconds; only processes started here are
stopped, by PID.  --quick finishes in about two and a half minutes.
"""
import argparse
import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchlib import (COMMANDS, HOST, MB, MB1, MB100, ROOT, SMALL, TEXT,  # noqa: E402
                      Server, answered, check_log, cmdline, fmt, free_port,
                      loadavg, make_capsule, rss_settle, run_idle, run_load,
                      say, table, usable_nofile)
import bench_baseline  # noqa: E402
import bench_cgi  # noqa: E402
import bench_latency  # noqa: E402
import bench_search  # noqa: E402
import bench_syscalls  # noqa: E402

BURST = 10000               # connects in a row, half Gemini, half Gopher
# The CPU rows against molly-brown that tls_floor runs too.
FLOOR_ROWS = (("full", "full handshake"), ("resumed", "resumed"),
              ("mb1", "1 MiB file"))
STALL_MS = 100


class Plan:
    """Request counts and waits: the full run, or --quick."""

    def __init__(self, quick):
        self.quick = quick
        self.small = {1: 300, 16: 1500, 64: 1000} if quick else \
            {1: 2000, 16: 4000, 64: 4000}
        self.resumed = 1500 if quick else 6000
        self.gopher = {1: 600, 16: 2000, 64: 2000} if quick else \
            {1: 5000, 16: 15000, 64: 15000}
        self.peer_gopher = {1: 100, 16: 300, 64: 300} if quick else \
            {1: 300, 16: 1000, 64: 1000}
        self.mb1 = 100 if quick else 300
        self.rounds = 3 if quick else 5     # the ratios' loads, alternated
        self.idle = 2000 if quick else 5000
        self.settle = 10 if quick else 30        # RSS after the burst, s
        self.duration = 10
        self.latency = bench_latency.Plan(quick)


def attache_argv(args, cap, certs, gem, gop, binary=None):
    # One client address drives everything: the limits are for strangers.
    return [binary or args.bin, "--capsule", cap, "--certs", certs,
            "--hostname",
            "localhost", "--listen", HOST, "--gemini-port", gem,
            "--gopher-port", gop, "--lang", "en",
            "--max-connections", "20000", "--max-connections-per-address",
            "off", "--rate-limit", "off"]


def start_attache(args, tmp, cap, certs, tag, binary=None):
    gem, gop = free_port(), free_port()
    srv = Server(f"attache{tag}", attache_argv(args, cap, certs, gem, gop,
                                               binary),
                 tmp / f"attache{tag}.log", [gem, gop])
    srv.gem, srv.gop = gem, gop
    return srv


def finish(srv, results, problems):
    alive = srv.alive()
    code = srv.stop()
    mine = srv.name.startswith("attache")
    if not alive:
        problems.append(f"{srv.name} died during its loads (status {code})")
    elif code != 0 and mine:
        # The peers end on SIGTERM itself (-15): their way, no problem.
        problems.append(f"{srv.name}: exit status {code} after SIGTERM")
    if mine:
        problems += [f"[{srv.name}] {p}" for p in
                     check_log(srv.log_text(), answered(results))]


def add(res, key, r):
    res.setdefault(key, []).append(r)


def bench_speed(args, plan, tmp, cap, certs, problems):
    """attache, molly-brown and Gophernicus all running; the loads that
    make the table's ratios alternate between them, round after round, so
    that both sides of a ratio see the same machine."""
    res = {"attache": {}, "molly": {}, "gophernicus": {}, "floor": {},
           "floor_ev": {}}
    a = start_attache(args, tmp, cap, certs, "-speed")
    servers = [(a, "attache")]
    try:
        say("molly-brown (Gemini, Go), in a network namespace of its own")
        m = molly(tmp, certs, "-speed")
        servers.append((m, "molly"))
        g = gophernicus(tmp)
        servers.append((g, "gophernicus"))
        f = tls_floor(args, tmp, cap, certs)
        servers.append((f, "floor"))
        fe = tls_floor_ev(args, tmp, cap, certs)
        servers.append((fe, "floor_ev"))
        L = args.loadgen
        page = f"gemini://localhost/{SMALL}\\r\\n"
        mb1 = f"gemini://localhost/{MB1}\\r\\n"
        menu, text = f"/{SMALL}\\r\\n", f"/{TEXT}\\r\\n"
        A, M, G = res["attache"], res["molly"], res["gophernicus"]
        F, FE = res["floor"], res["floor_ev"]
        # The floors' rows: the same Gemini loads, in the same rounds.
        gemini = ((a, A), (m, M), (f, F), (fe, FE))
        # The client stacks' latency: the same page, in the same rounds.
        stacks = [(a, A, {"gemini": a.gem, "gopher": a.gop}),
                  (m, M, {"gemini": m.gem}), (f, F, {"gemini": f.gem})]
        add(A, "warm", run_load(L, a, "warm-up", "gemini", a.gem, page, 2,
                                200, 5))
        add(A, "warm", run_load(L, a, "warm-up", "gopher", a.gop, menu, 2,
                                200, 5))
        add(M, "warm", run_load(L, m, "warm-up", "gemini", m.gem, page, 2,
                                200, 5))
        for srv, out in ((f, F), (fe, FE)):
            add(out, "warm", run_load(L, srv, "warm-up", "gemini", srv.gem,
                                      page, 2, 200, 5))
        add(G, "warm", run_load(L, g, "warm-up", "gopher", g.gop,
                                "/\\r\\n", 2, 50, 5))
        d = plan.duration
        for rnd in range(plan.rounds):
            say(f"round {rnd + 1} of {plan.rounds}")
            for srv, out in gemini:
                add(out, "full", run_load(L, srv, "Gemini 2 KB page",
                                          "gemini", srv.gem, page, 16,
                                          plan.small[16], d, expect="20 "))
            for srv, out in gemini:
                add(out, "resumed", run_load(L, srv, "Gemini 2 KB page, "
                                             "resumed", "gemini", srv.gem,
                                             page, 16, plan.resumed, d,
                                             resume=True, expect="20 "))
            for srv, out in gemini:
                add(out, "mb1", run_load(L, srv, "Gemini 1 MiB file",
                                         "gemini", srv.gem, mb1, 4, plan.mb1,
                                         20, expect="20 ", min_bytes=1 << 20,
                                         timeout=20))
            add(A, "menu", run_load(L, a, "Gopher menu from 2.5 KB .gmi",
                                    "gopher", a.gop, menu, 16,
                                    plan.gopher[16], d, expect="i# "))
            add(A, "text", run_load(L, a, "Gopher 10 KB text file", "gopher",
                                    a.gop, text, 16, plan.gopher[16], d,
                                    expect="line 000"))
            add(G, "menu", run_load(L, g, "Gopher directory menu", "gopher",
                                    g.gop, "/\\r\\n", 16,
                                    plan.peer_gopher[16], d, expect=""))
            bench_latency.run_round(plan.latency, args.goclient, stacks, rnd,
                                    say, COMMANDS)
        say("latencies at 1, 16 and 64 clients")
        for c in (1, 16, 64):
            for srv, out in ((a, A), (m, M)):
                add(out, ("gemini", c), run_load(
                    L, srv, "Gemini 2 KB page", "gemini", srv.gem, page, c,
                    plan.small[c], d, expect="20 "))
            add(A, ("menu", c), run_load(L, a, "Gopher menu from 2.5 KB "
                                         ".gmi", "gopher", a.gop, menu, c,
                                         plan.gopher[c], d, expect="i# "))
            add(G, ("menu", c), run_load(L, g, "Gopher directory menu",
                                         "gopher", g.gop, "/\\r\\n", c,
                                         plan.peer_gopher[c], d, expect=""))
        if not plan.quick:
            for proto, port, req in (
                    ("gemini", a.gem, f"gemini://localhost/{MB100}\\r\\n"),
                    ("gopher", a.gop, f"/{MB100}\\r\\n")):
                add(A, ("mb100", proto), run_load(
                    L, a, f"{proto.capitalize()} 100 MB file", proto, port,
                    req, 4, 4, 30, expect="20 " if proto == "gemini" else None,
                    min_bytes=100 * MB, timeout=30))
    finally:
        for srv, key in servers:
            finish(srv, [r for runs in res[key].values() for r in runs],
                   problems)
    return res


def bench_before_after(args, plan, tmp, cap, certs, problems):
    """attache against the build --baseline names (bench_baseline.py)."""
    return bench_baseline.run(
        args, plan, f"gemini://localhost/{SMALL}\\r\\n",
        lambda binary, tag: start_attache(args, tmp, cap, certs, tag, binary),
        lambda srv, loads: finish(srv, loads, problems),
        run_load, say)


def bench_memory(name, start, plan, problems, gopher=True):
    """Per connection on the Gemini port, then BURST connects in a row to
    a fresh server and the memory given back after they close."""
    mem = {}
    srv = start("-idle")
    try:
        time.sleep(0.5)
        mem["idle"] = run_idle(ARGS.loadgen, srv, f"{plan.idle} silent "
                               "connections, Gemini port", srv.gem, plan.idle,
                               2)
    finally:
        finish(srv, [], problems)
    srv = start("-burst")
    try:
        time.sleep(0.5)
        label = (f"{BURST} connects in a row, half Gemini, half Gopher"
                 if gopher else f"{BURST} connects in a row, Gemini")
        r = run_idle(ARGS.loadgen, srv, label, srv.gem, BURST, 2,
                     port2=srv.gop if gopher else None)
        time.sleep(0.5)
        idle = r["rss0"] or 0
        r["after"], r["settled_s"] = rss_settle(srv, 2 * idle, plan.settle)
        say(f"  {srv.name}: after the burst closed: RSS {r['after']} kB "
            f"(idle {idle} kB), " + (f"under 2 x idle after {r['settled_s']:.0f} s"
                                     if r["settled_s"] is not None else
                                     f"not under 2 x idle in {plan.settle} s"))
        mem["burst"] = r
        if (r.get("opened") or 0) != BURST:
            problems.append(f"{srv.name}: {label}: opened {r.get('opened')} "
                            f"{r.get('first_error', '')} {r.get('stderr', '')}")
    finally:
        finish(srv, [], problems)
    return mem


def molly(tmp, certs, tag):
    base = tmp / f"molly{tag}"
    docs = base / "docs"
    docs.mkdir(parents=True)
    for f in (SMALL, TEXT, MB1):
        shutil.copy(tmp / "capsule" / f, docs / f)
    for f in ("localhost.crt", "localhost.key"):
        shutil.copy(certs / f, base / f)
    conf = base / "molly.conf"
    conf.write_text(f'Port = 1965\nHostname = "localhost"\n'
                    f'CertPath = "{base}/localhost.crt"\n'
                    f'KeyPath = "{base}/localhost.key"\n'
                    f'DocBase = "{docs}"\nAccessLog = "{base}/access.log"\n'
                    f'ErrorLog = "{base}/error.log"\n')
    # It listens on every address: a network namespace of its own, whose
    # only interface is loopback, keeps it to itself.
    srv = Server(f"molly-brown{tag}",
                 ["unshare", "--net", "--", "sh", "-c",
                  f"ip link set lo up && exec molly-brown -c {conf}"],
                 base / "molly.log", [1965], netns=True)
    srv.gem = 1965
    return srv


def tls_floor(args, tmp, cap, certs):
    """OpenSSL 3 and nothing else around it (tests/bench/tls_floor.c):
    what the library and the kernel alone cost for the same Gemini loads,
    so that each run shows how far below attache the floor lies."""
    port = free_port()
    say("tls_floor (OpenSSL 3 alone: blocking threads, pages in memory)")
    srv = Server("tls_floor",
                 [args.floor, port, certs / "localhost.crt",
                  certs / "localhost.key", os.cpu_count() or 1,
                  f"{SMALL}={cap / SMALL}", f"{MB1}={cap / MB1}"],
                 tmp / "tls_floor.log", [port])
    srv.gem = port
    return srv


def tls_floor_ev(args, tmp, cap, certs):
    """The same floor with one thread on epoll (tests/bench/tls_floor_ev.c),
    event-driven as attache is: its CPU per request beside attache's."""
    port = free_port()
    say("tls_floor_ev (OpenSSL 3 alone: one thread, epoll, pages in memory)")
    srv = Server("tls_floor_ev",
                 [args.floor_ev, port, certs / "localhost.crt",
                  certs / "localhost.key", f"{SMALL}={cap / SMALL}",
                  f"{MB1}={cap / MB1}"],
                 tmp / "tls_floor_ev.log", [port])
    srv.gem = port
    return srv


def gophernicus(tmp):
    docs = tmp / "gophernicus"
    docs.mkdir()
    for f in (SMALL, TEXT):
        shutil.copy(tmp / "capsule" / f, docs / f)
    # It runs as _gophernicus, which must reach the files.
    os.chmod(tmp, 0o755)
    os.chmod(docs, 0o755)
    for p in docs.iterdir():
        os.chmod(p, 0o644)
    port = free_port()
    # Its access log in a file, as attache's (no /dev/log in many
    # containers); and its throttle lifted (-i, -k: a second per request
    # past 4096 hits of one client, remembered in shared memory across
    # runs), as attache runs without its limits.
    access = tmp / "gophernicus-access.log"
    access.touch()
    shutil.chown(access, "_gophernicus")
    say("Gophernicus (Gopher, C), a process per connection under "
        "systemd-socket-activate, as inetd would run it")
    srv = Server("gophernicus",
                 ["systemd-socket-activate", "--inetd", "--accept", "-l",
                  f"{HOST}:{port}", "/usr/sbin/gophernicus", "-h", "localhost",
                  "-p", port, "-r", docs, "-nv", "-ns", "-l", access,
                  "-i", "2000000000", "-k", "2000000000"],
                 tmp / "gophernicus.log", [port], user="_gophernicus")
    srv.gop = port
    return srv


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def verdict(ok):
    return "-" if ok is None else ("yes" if ok else "NO")


def cpu(res, key):
    """The median server CPU per request of key's runs, ms."""
    v = sorted(r["cpu_ms"] for r in res.get(key, [])
               if r.get("cpu_ms") is not None)
    return v[len(v) // 2] if v else None


def round_ratios(res, base, key):
    """Each round's ratio res / base of CPU per request: the two loads of
    a round run a few seconds apart."""
    return [ratio(x.get("cpu_ms"), y.get("cpu_ms")) for x, y in
            zip(res.get(key, []), base.get(key, []))]


def round_ratio(res, base, key):
    """The median of round_ratios."""
    rr = sorted(r for r in round_ratios(res, base, key) if r is not None)
    return rr[len(rr) // 2] if rr else None


def one(res, key):
    runs = res.get(key) or [{}]
    return runs[-1]


def report(att, mem, mol, mmem, gph, flo, fev, rounds):
    """The issue's table: one row each, attache, the peer, the ratio."""
    rows = []

    def row(what, a, p, peer, goal, ok, spec="{:.3f}", r=None):
        rr = ratio(a, p) if r is None else r
        rows.append([what, fmt(a, spec), f"{peer} {fmt(p, spec)}",
                     fmt(rr, "{:.2f}"), goal, verdict(ok)])

    full, mfull = cpu(att, "full"), cpu(mol, "full")
    row("Gemini 2 KB page, full handshake, 16 clients (server ms/request)",
        full, mfull, "molly-brown", "<= 0.85 x molly-brown",
        None if ratio(full, mfull) is None else ratio(full, mfull) <= 0.85)
    res, mres = cpu(att, "resumed"), cpu(mol, "resumed")
    own = ratio(res, full)
    row("the same with session resumption", res, mres, "molly-brown",
        f"<= 0.85 x own full ({fmt(own, '{:.2f}')}), <= molly-brown",
        None if own is None or mres is None else own <= 0.85 and res <= mres)
    a, p = cpu(att, "mb1"), cpu(mol, "mb1")
    row("Gemini 1 MiB file, 4 clients (server ms/request)", a, p,
        "molly-brown", "<= 0.8 x molly-brown",
        None if ratio(a, p) is None else ratio(a, p) <= 0.8)
    # The library's floor beside the same peer: below it, attache cannot go
    # whatever it does around OpenSSL.
    for key, what in FLOOR_ROWS:
        f, p = cpu(flo, key), cpu(mol, key)
        over = fmt(ratio(cpu(att, key), f), "{:.2f}")
        rows.append([f"reference: OpenSSL 3 alone (tls_floor), {what}",
                     fmt(f, "{:.3f}"), f"molly-brown {fmt(p, '{:.3f}')}",
                     fmt(ratio(f, p), "{:.2f}"), f"attache / floor: {over}",
                     "-"])
    # The floor that is event-driven, one thread, as attache is: the ratio
    # is the median of each round's, both loads a few seconds apart.
    for key, what in FLOOR_ROWS:
        f, p = cpu(fev, key), cpu(mol, key)
        over = fmt(round_ratio(att, fev, key), "{:.2f}")
        rows.append([f"reference: OpenSSL 3 alone, 1 thread on epoll "
                     f"(tls_floor_ev), {what}", fmt(f, "{:.3f}"),
                     f"molly-brown {fmt(p, '{:.3f}')}",
                     fmt(ratio(f, p), "{:.2f}"),
                     f"attache / floor_ev: {over}", "-"])
    menu, text = cpu(att, "menu"), cpu(att, "text")
    own = ratio(menu, text)
    row("Gopher menu from a 2.5 KB .gmi, 16 clients (server ms/request)",
        menu, cpu(gph, "menu"), "Gophernicus dir. menu",
        f"<= 1.2 x own 10 KB text file ({fmt(text, '{:.3f}')}): "
        f"{fmt(own, '{:.2f}')}", None if own is None else own <= 1.2)
    ai, mi = mem.get("idle") or {}, mmem.get("idle") or {}

    def per(r):
        if r.get("rss0") is None or r.get("rss1") is None or not r.get("opened"):
            return None
        return (r["rss1"] - r["rss0"]) / r["opened"]
    a, p = per(ai), per(mi)
    row("memory per connection that connected and sent nothing, Gemini "
        "port (kB)", a, p, "molly-brown", "<= 6 kB", None if a is None else
        a <= 6, spec="{:.1f}")
    ab, mb = mem.get("burst") or {}, mmem.get("burst") or {}
    a = ab.get("rss1") / 1024 if ab.get("rss1") else None
    p = mb.get("rss1") / 1024 if mb.get("rss1") else None
    row(f"{BURST} such connections (attache: half Gemini, half Gopher; "
        "molly-brown: Gemini), RSS (MB)", a, p, "molly-brown", "< 64 MB",
        None if a is None else a < 64, spec="{:.1f}")
    a = ab.get("after") / 1024 if ab.get("after") else None
    p = mb.get("after") / 1024 if mb.get("after") else None
    idle = ab.get("rss0") / 1024 if ab.get("rss0") else None
    settled = ab.get("settled_s")
    row(f"RSS once the burst has closed (MB; idle before: "
        f"{fmt(idle, '{:.1f}')})", a, p, "molly-brown",
        "< 2 x idle within 30 s" + (f" (after {settled:.0f} s)"
                                    if settled is not None else ""),
        None if a is None else settled is not None, spec="{:.1f}")
    a, p = ab.get("connect_max_ms"), mb.get("connect_max_ms")
    row(f"{BURST} connects in a row to a fresh server: longest connect "
        f"(ms; stalls over {STALL_MS} ms: attache {ab.get('connect_stalls', '-')}"
        f", molly-brown {mb.get('connect_stalls', '-')})", a, p, "molly-brown",
        f"none over {STALL_MS} ms", None if a is None else a <= STALL_MS,
        spec="{:.1f}")
    out = table(rows, ["issue 8's rows", "attache", "peer", "ratio", "goal",
                       "met"])
    out.append(f"(CPU rows: the median of {rounds} rounds, attache and its "
               "peer alternating)")
    # Each round's ratio, its two loads a few seconds apart: how far the
    # machine moved a ratio during this run.
    for key, what in FLOOR_ROWS:
        cells = []
        for name, res in (("attache", att), ("floor", flo),
                          ("floor_ev", fev)):
            rr = round_ratios(res, mol, key)
            cells.append(f"{name} " + " ".join(fmt(r, "{:.2f}") for r in rr))
        out.append(f"  per round, / molly-brown, {what}: " + "; ".join(cells))
    for key, what in FLOOR_ROWS:
        out.append(f"  per round, attache / floor_ev, {what}: " +
                   " ".join(fmt(r, "{:.2f}") for r in
                            round_ratios(att, fev, key)))
    out.append("")
    out.append("Latency seen by the clients, ms (p50 / p99), and server CPU "
               "ms per request")
    lat = []
    for label, key, peers in (("Gemini 2 KB page, full handshake", "gemini",
                               [("molly-brown", mol)]),
                              ("Gopher menu", "menu",
                               [("Gophernicus dir. menu", gph)])):
        for c in (1, 16, 64):
            r = one(att, (key, c))
            cells = [f"{label}, {c} clients",
                     f"{fmt(r.get('p50_ms'), '{:.2f}')} / "
                     f"{fmt(r.get('p99_ms'), '{:.2f}')}",
                     fmt(r.get("cpu_ms"), "{:.3f}")]
            for _, pres in peers:
                q = one(pres, (key, c))
                cells += [f"{fmt(q.get('p50_ms'), '{:.2f}')} / "
                          f"{fmt(q.get('p99_ms'), '{:.2f}')}",
                          fmt(q.get("cpu_ms"), "{:.3f}")]
            cells.insert(3, peers[0][0])
            lat.append(cells)
    out += table(lat, ["load", "attache p50/p99", "CPU", "peer",
                       "peer p50/p99", "CPU"])
    out.append("")
    out += bench_latency.report([("attache", att), ("molly-brown", mol),
                                 ("tls_floor", flo)], rounds, table, fmt)
    extra = [runs[-1] for k, runs in att.items()
             if isinstance(k, tuple) and k[0] == "mb100"]
    if extra:
        out.append("")
        out.append("Large files (attache)")
        out += table([[r["label"], r.get("conns"), fmt(r.get("mb_s")),
                       fmt(r.get("p50_ms"), "{:.0f}")] for r in extra],
                     ["load", "clients", "MB/s", "p50 ms"])
    return out


def failures(results, problems):
    for r in results:
        if r.get("failures") or r.get("exit") not in (0, 1):
            problems.append(f"{r['server']}: {r['label']} c={r['conns']}: "
                            f"{r.get('failures', '?')} failures of "
                            f"{r.get('requests', '?')}; "
                            f"{r.get('first_error', '')} "
                            f"{r.get('stderr', '')}".rstrip())
        if r.get("resume") and r.get("requests") and \
                (r.get("resumed") or 0) < r["requests"] - r["conns"]:
            problems.append(f"{r['server']}: {r['label']}: only "
                            f"{r.get('resumed')} of {r['requests']} resumed")


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=str(ROOT / "attache"))
    ap.add_argument("--loadgen", default=str(ROOT / "build" / "loadgen"))
    ap.add_argument("--floor", default=str(ROOT / "build" / "tls_floor"))
    ap.add_argument("--floor-ev",
                    default=str(ROOT / "build" / "tls_floor_ev"))
    ap.add_argument("--goclient", default=str(ROOT / "build" / "goclient"))
    ap.add_argument("--quick", action="store_true",
                    help="fewer requests, shorter waits: about two and a half minutes")
    ap.add_argument("--json", help="also write every raw figure to this file")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory")
    ap.add_argument("--search-only", action="store_true",
                    help="only the search section (10,000 generated pages)")
    ap.add_argument("--no-search", action="store_true",
                    help="skip the search section")
    ap.add_argument("--cgi-only", action="store_true",
                    help="only the CGI section (attache and molly-brown)")
    ap.add_argument("--no-cgi", action="store_true",
                    help="skip the CGI section")
    ap.add_argument("--baseline", metavar="BIN",
                    help="another attache build (an older one) measured "
                    "against --bin in the same rounds: full handshakes' "
                    "CPU, p50 and p99 at 1, 16 and 64 clients")
    ap.add_argument("--baseline-only", action="store_true",
                    help="with --baseline: that comparison alone")
    ap.add_argument("--rounds", type=int, metavar="N",
                    help="rounds of the alternated loads (5, --quick 3): "
                    "more give steadier ratios on a shared machine")
    ap.add_argument("--syscalls-only", action="store_true",
                    help="only the system calls of a settled file's request")
    ap.add_argument("--compare", metavar="BIN",
                    help="count those system calls for this build too")
    ARGS = args = ap.parse_args()
    # The search section's loads run as the others do.
    args.scale = 0.25 if args.quick else 1.0
    if args.baseline_only and not args.baseline:
        sys.exit("bench: --baseline-only needs --baseline BIN")
    if args.baseline_only:
        args.search_only = False
        args.no_search = True
    if args.baseline_only or args.search_only or args.syscalls_only:
        args.no_cgi = True
    if args.cgi_only:
        args.search_only = args.baseline_only = args.syscalls_only = False
        args.no_search = True
    needed = ((args.bin, "attache"), (args.loadgen, "loadgen"),
              (args.floor, "tls_floor"), (args.floor_ev, "tls_floor_ev"),
              (args.goclient, "goclient"))
    for path, what in needed:
        if ((args.cgi_only or args.syscalls_only) and
                what not in ("attache", "loadgen")):
            continue
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {what} not found: {path} (run `make bench`)")
    for tool in ("molly-brown", "/usr/sbin/gophernicus", "nsenter", "unshare",
                 "systemd-socket-activate", "openssl", "gnutls-cli", "strace"):
        if args.syscalls_only and tool != "strace":
            continue
        if args.cgi_only and tool not in ("molly-brown", "nsenter",
                                          "unshare"):
            continue
        if not shutil.which(tool) and not args.baseline_only:
            sys.exit(f"bench: {tool} is missing (make bench installs it)")
    if usable_nofile() < BURST + 500:
        sys.exit(f"bench: {BURST} connections need an open-files hard limit "
                 f"of {BURST + 500}")
    plan = Plan(args.quick)
    if args.rounds:
        plan.rounds = max(1, args.rounds)
    started = datetime.datetime.now(datetime.timezone.utc)
    t0, load0 = time.monotonic(), loadavg()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="attache-bench-"))
    problems = []
    try:
        cap = make_capsule(tmp, big=not args.quick)
        certs = tmp / "certs"
        certs.mkdir()
        # attache renders a page into its cache once it is 2 s old.
        time.sleep(2.1)
        version = subprocess.run([args.bin, "--version"], capture_output=True,
                                 text=True, timeout=10).stdout.strip()
        att, mol, gph, flo, fev, mem, mmem = {}, {}, {}, {}, {}, {}, {}
        before_after = {}
        if args.baseline:
            if not os.access(args.baseline, os.X_OK):
                sys.exit(f"bench: --baseline {args.baseline}: not found")
            say(f"attache against {args.baseline}, the same loads in turn")
            before_after = bench_before_after(args, plan, tmp, cap, certs,
                                              problems)
        calls = {}
        if not (args.search_only or args.baseline_only or args.cgi_only):
            calls = bench_syscalls.run(args, tmp, cap, certs)
        if args.syscalls_only:
            args.search_only = args.no_search = True
        if not (args.search_only or args.baseline_only or args.cgi_only):
            speed = bench_speed(args, plan, tmp, cap, certs, problems)
            att, mol = speed["attache"], speed["molly"]
            gph, flo = speed["gophernicus"], speed["floor"]
            fev = speed["floor_ev"]
            say("attache: memory")
            mem = bench_memory("attache", lambda tag: start_attache(
                args, tmp, cap, certs, tag), plan, problems)
            say("molly-brown: memory")
            mmem = bench_memory("molly-brown", lambda tag: molly(
                tmp, certs, tag), plan, problems, gopher=False)
        cgi_loads = []
        if not args.no_cgi:
            say("CGI: a hello script, attache and molly-brown")
            cgi_loads, p = bench_cgi.run(
                args, tmp, certs, Server,
                lambda a_, t_, *rest, **kw: run_load(a_.loadgen, *rest,
                                                     **kw),
                free_port, say)
            problems += p
        search, search_loads = {}, []
        if not args.no_search:
            say("attache: search (a generated capsule of 10,000 pages)")
            search, search_loads, p = bench_search.run(
                args, tmp, certs, Server,
                lambda a_, t_, *rest, **kw: run_load(a_.loadgen, *rest,
                                                     **kw),
                free_port, say)
            problems += p
        failures([r for d in (att, mol, gph, flo, fev,
                              *before_after.values())
                  for runs in d.values()
                  for r in runs] + search_loads + cgi_loads, problems)
        elapsed = time.monotonic() - t0
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(
                {"attache": {str(k): v for k, v in att.items()},
                 "memory": mem, "molly": {str(k): v for k, v in mol.items()},
                 "molly_memory": mmem,
                 "gophernicus": {str(k): v for k, v in gph.items()},
                 "floor": {str(k): v for k, v in flo.items()},
                 "floor_ev": {str(k): v for k, v in fev.items()},
                 "before_after": {k: {str(c): v for c, v in d.items()}
                                  for k, d in before_after.items()},
                 "latency": bench_latency.summary([("attache", att),
                                                   ("molly-brown", mol),
                                                   ("tls_floor", flo)]),
                 "problems": problems}, indent=1, default=str))
        out = ["", "Commands", "--------"]
        for label, argv in COMMANDS:
            out += [f"# {label}",
                    "  " + cmdline(argv).replace(str(tmp), "$TMP")]
        out += ["", "=" * 78,
                f"attache bench{' --quick' if args.quick else ''}   "
                f"{started:%Y-%m-%d %H:%M} UTC   {version}",
                f"machine: {os.cpu_count()} cores, load average {load0} at "
                f"start, {loadavg()} at end; {elapsed:.0f} s; loopback, the "
                "load generator on the same cores",
                "server CPU = the server's utime+stime (children's too) per "
                "request; compare ratios, not absolute figures", ""]
        if before_after:
            out += bench_baseline.report(before_after, args.baseline, table,
                                         fmt)
            out.append("")
        if not (args.search_only or args.baseline_only or args.cgi_only):
            out += report(att, mem, mol, mmem, gph, flo, fev, plan.rounds)
            out.append("")
        if calls:
            out += bench_syscalls.report(calls)
            out.append("")
        if not args.no_cgi:
            out += bench_cgi.report(cgi_loads, table, fmt)
            out.append("")
        if not args.no_search:
            out += bench_search.report(search, search_loads, table, fmt)
            out.append("")
        if problems:
            out.append("PROBLEMS SEEN")
            out += ["  " + p for p in problems]
        else:
            out.append("No failures; attache's logs hold one access line per "
                       "request and nothing unexpected.")
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
