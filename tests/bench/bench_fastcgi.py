#!/usr/bin/python3
"""The FastCGI "hello" of `make bench`: attache answering a Gemini request
from a FastCGI responder on a unix socket (tests/integration/
fcgi_responder.py, standard library Python, a thread per connection),
beside the same page served as a file.  For each, at 1 and 16 clients:
attache's CPU per request, the responder's, and loadgen's p50 and p99.

Builds nothing (`make bench` builds ./attache and build/loadgen).  Only
the processes started here are stopped, by PID.
"""
import argparse
import pathlib
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchlib import (HOST, ROOT, Server, cmdline, fmt, free_port,  # noqa: E402
                      run_load, say, table, COMMANDS)

RESPONDER = ROOT / "tests" / "integration" / "fcgi_responder.py"


def wait_socket(path, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.alive():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(str(path))
                return True
            except OSError:
                pass
        time.sleep(0.02)
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=str(ROOT / "attache"))
    ap.add_argument("--loadgen", default=str(ROOT / "build" / "loadgen"))
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    counts = {1: 300, 16: 1500} if args.quick else {1: 2000, 16: 6000}
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="attache-bench-fcgi-"))
    servers, rows, failed = [], [], False
    try:
        cap = tmp / "capsule"
        cap.mkdir()
        # The responder's answer, byte for byte, as a file.
        (cap / "hello.gmi").write_text("# Hello\n")
        sock = tmp / "hello.sock"
        resp = Server("responder", [sys.executable, RESPONDER, "unix", sock],
                      tmp / "responder.log", [])
        servers.append(resp)
        if not wait_socket(sock, resp):
            sys.exit("bench_fastcgi: the responder did not start")
        gem = free_port()
        conf = tmp / "attache.conf"
        conf.write_text(f"""listen "{HOST}"
gemini-port {gem}
max-connections 20000
max-connections-per-address off
rate-limit off
site "localhost" {{
    capsule "{cap}"
    certs "{tmp / 'certs'}"
    lang none
    search off
    changes off
    location "/fcgi/*" {{ fastcgi socket "{sock}" }}
}}
""")
        att = Server("attache", [args.bin, "-f", conf], tmp / "attache.log",
                     [gem])
        servers.append(att)
        time.sleep(0.5)
        url = f"gemini://localhost:{gem}"
        run_load(args.loadgen, att, "warm-up", "gemini", gem,
                 f"{url}/fcgi/hello\\r\\n", 2, 200, 5, expect="20 ")
        for conns in (1, 16):
            for label, path in (("FastCGI hello", "/fcgi/hello"),
                                ("the same page, a file", "/hello.gmi")):
                r0 = resp.cpu_s()
                r = run_load(args.loadgen, att, label, "gemini", gem,
                             url + path + "\\r\\n", conns, counts[conns],
                             10, expect="20 text/gemini")
                r1 = resp.cpu_s()
                n = r.get("requests") or 0
                rms = ((r1 - r0) * 1000 / n if n and r0 is not None and
                       r1 is not None else None)
                if r.get("failures") or r.get("exit") not in (0,):
                    failed = True
                rows.append([label, conns, n, fmt(r.get("cpu_ms"), "{:.3f}"),
                             fmt(rms, "{:.3f}") if path.startswith("/fcgi")
                             else "-",
                             fmt(r.get("p50_ms"), "{:.2f}"),
                             fmt(r.get("p99_ms"), "{:.2f}"),
                             fmt(r.get("rps"))])
    finally:
        for s in reversed(servers):
            s.stop()
        if failed:
            say(f"attache's log, kept: {tmp / 'attache.log'}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    say("")
    say("FastCGI (unix socket, a connection per request), Gemini over TLS "
        "with full handshakes; CPU in ms per request:")
    for line in table(rows, ["load", "clients", "requests", "attache CPU",
                             "responder CPU", "p50 ms", "p99 ms", "req/s"]):
        say("  " + line)
    say("")
    say("commands:")
    for name, argv in COMMANDS:
        say(f"  {name}: {cmdline(argv)}")
    if failed:
        say("bench_fastcgi: some requests failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
