"""The CGI section of `make bench`: one "hello" script (a shell script
printing a Gemini header and a line), run by attache's CGI runner and by
molly-brown's CGI, in the same run, at 1 and 16 clients: requests per
second, p50 and p99, and the CPU of server and program per request (the
servers' utime+stime and their reaped children's, the scripts included).

Imported by bench.py, which passes its Server class, run_load and say.
Standard library only; everything on loopback, every load bounded; the
scripts run as nobody under attache (its runner never runs them as root).
"""
import os
import pathlib
import shutil

HELLO = "#!/bin/sh\nprintf '20 text/gemini\\r\\n# Hello\\n'\n"
LOADS = ((1, 300), (16, 1500))
QUICK = ((1, 100), (16, 400))


def capsule(tmp):
    """A capsule every user can read, with cgi/hello."""
    base = tmp / "cgi"
    cap = base / "capsule"
    (cap / "cgi").mkdir(parents=True)
    (cap / "index.gmi").write_text("# CGI bench\n")
    (cap / "cgi" / "hello").write_text(HELLO)
    for p in [tmp, base, cap, cap / "cgi", cap / "cgi" / "hello"]:
        os.chmod(p, 0o755)
    os.chmod(cap / "index.gmi", 0o644)
    return cap


def start_attache(args, tmp, cap, certs, Server, free_port):
    gem = free_port()
    conf = tmp / "cgi" / "attache.conf"
    user = 'cgi-user "nobody"\n' if os.geteuid() == 0 else ""
    conf.write_text(f"""listen "127.0.0.1"
gemini-port {gem}
max-connections-per-address off
rate-limit off
{user}cgi-max 64
site "localhost" {{ capsule "{cap}" certs "{certs}"
    location "/cgi/*" {{ cgi on }} }}
""")
    srv = Server("attache-cgi", [args.bin, "-f", conf], tmp / "cgi" /
                 "attache.log", [gem])
    srv.gem = gem
    return srv


def start_molly(tmp, cap, certs, Server):
    base = tmp / "cgi" / "molly"
    docs = base / "docs"
    shutil.copytree(cap, docs)
    for f in ("localhost.crt", "localhost.key"):
        shutil.copy(certs / f, base / f)
    conf = base / "molly.conf"
    conf.write_text(f'Port = 1965\nHostname = "localhost"\n'
                    f'CertPath = "{base}/localhost.crt"\n'
                    f'KeyPath = "{base}/localhost.key"\n'
                    f'DocBase = "{docs}"\n'
                    f'CGIPaths = ["{docs}/cgi/"]\n'
                    f'AccessLog = "{base}/access.log"\n'
                    f'ErrorLog = "{base}/error.log"\n')
    srv = Server("molly-brown-cgi",
                 ["unshare", "--net", "--", "sh", "-c",
                  f"ip link set lo up && exec molly-brown -c {conf}"],
                 base / "molly.log", [1965], netns=True)
    srv.gem = 1965
    return srv


def run(args, tmp, certs, Server, run_load, free_port, say):
    """Returns (loads, problems): each load's figures, attache's and
    molly-brown's alternating at each client count."""
    cap = capsule(tmp)
    loads, problems = [], []
    servers = []
    try:
        att = start_attache(args, tmp, cap, certs, Server, free_port)
        servers.append(att)
        # The certificate attache made is the one molly-brown serves.
        mol = start_molly(tmp, cap, certs, Server)
        servers.append(mol)
        for conns, n in (QUICK if args.quick else LOADS):
            for srv in (att, mol):
                url = f"gemini://localhost:{srv.gem}/cgi/hello"
                r = run_load(args, tmp, srv, "CGI hello", "gemini", srv.gem,
                             url + "\\r\\n", conns, n, 30,
                             expect="20 text/gemini")
                loads.append(r)   # bench.py's failures() reads them
    except RuntimeError as e:
        problems.append(f"CGI section: {e}")
    finally:
        for srv in servers:
            srv.stop()
    return loads, problems


def report(loads, table, fmt):
    if not loads:
        return ["CGI: no figures (see PROBLEMS)"]
    rows = [[r["server"], r["conns"], r.get("requests", "?"),
             r.get("failures", "?"), fmt(r.get("rps")),
             fmt(r.get("p50_ms"), "{:.2f}"), fmt(r.get("p99_ms"), "{:.2f}"),
             fmt(r["cpu_ms"] if r.get("cpu_ms") is not None else None,
                 "{:.2f}")] for r in loads]
    return (["CGI \"hello\" (a shell script), attache's runner against "
             "molly-brown's CGI; CPU = server and script, ms per request"] +
            table(rows, ["server", "clients", "requests", "failed", "req/s",
                         "p50 ms", "p99 ms", "CPU ms"]))


if __name__ == "__main__":
    print(pathlib.Path(__file__).name, "is run by bench.py")
