"""The search section of `make bench`: a generated capsule of 10,000 pages
(about 50 MB of text), the index's build time and memory, search latency
at 16 clients, and the time to reindex one edited file.

Imported by bench.py, which passes its Server class, run_load and say.
Standard library only; everything on loopback, every load bounded.
"""
import os
import random
import re
import statistics
import time

PAGES = 10000
PER_DIR = 100
PAGE_BYTES = 5000
SEED = 1965

SYLLABLES = ["ba", "be", "bi", "bo", "ca", "ce", "ci", "co", "da", "de",
             "di", "do", "fa", "fe", "fi", "ga", "ge", "la", "le", "li",
             "lo", "ma", "me", "mi", "mo", "na", "ne", "ni", "no", "pa",
             "pe", "pi", "po", "ra", "re", "ri", "ro", "sa", "se", "si",
             "so", "ta", "te", "ti", "to", "va", "ve", "vi", "vo", "tion"]
FRENCH = ["sécurité", "intérieure", "ambassade", "coopération", "attaché",
          "préfecture", "délégation", "ministère", "frontière", "enquête",
          "procédure", "réseau", "élève", "œuvre", "garçon", "façade",
          "été", "hôtel", "forêt", "naïf", "noël", "où", "très", "là"]
INDEX_LINE = re.compile(r"indexed (\d+) files \((\d+) pages\) in (\d+) ms; "
                        r"the index takes (\d+) KB")
REINDEX_LINE = re.compile(r"reindexed in (\d+) ms the (\d+) files?")


def vocabulary(rng, n=4000):
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES)
                          for _ in range(rng.randint(2, 4))))
    return sorted(words) + FRENCH


def page_text(rng, i, vocab, cum):
    """About PAGE_BYTES of text: Zipf-distributed words, and the words the
    queries look for in known shares of the pages."""
    title = " ".join(rng.choices(vocab, cum_weights=cum, k=4)).capitalize()
    lines = [f"# {title} {i}", ""]
    size = len(lines[0])
    extra = []
    if rng.random() < 0.01:
        extra.append("extradition")
    if rng.random() < 0.005:
        extra.append("Interpol")
    if rng.random() < 0.3:
        extra += ["visa"] * rng.randint(1, 3)
    if rng.random() < 0.01:
        extra.append("mutual legal assistance")
    while size < PAGE_BYTES:
        words = rng.choices(vocab, cum_weights=cum, k=12)
        if extra and rng.random() < 0.2:
            words[5] = extra.pop()
        line = " ".join(words).capitalize() + "."
        if rng.random() < 0.05:
            line = f"=> /d{rng.randrange(PAGES // PER_DIR):03d}/ {line}"
        lines.append(line)
        size += len(line) + 1
    lines += extra
    return "\n".join(lines) + "\n"


def make_capsule(base, say):
    """10,000 pages in 100 directories; returns (path, bytes of text)."""
    rng = random.Random(SEED)
    vocab = vocabulary(rng)
    cum, acc = [], 0.0
    for r in range(len(vocab)):
        acc += 1.0 / (r + 1)
        cum.append(acc)
    cap = base / "search-capsule"
    cap.mkdir()
    (cap / "index.gmi").write_text("# Search bench\n")
    total = 0
    t0 = time.monotonic()
    for i in range(PAGES):
        d = cap / f"d{i // PER_DIR:03d}"
        if i % PER_DIR == 0:
            d.mkdir()
        text = page_text(rng, i, vocab, cum)
        (d / f"p{i:05d}.gmi").write_text(text)
        total += len(text.encode())
    say(f"search: made {PAGES} pages, {total / 1e6:.1f} MB of text, in "
        f"{time.monotonic() - t0:.1f} s")
    return cap, total


def wait_log(srv, pattern, count=1, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = pattern.findall(srv.log_text())
        if len(found) >= count:
            return found
        if not srv.alive():
            break
        time.sleep(0.05)
    return pattern.findall(srv.log_text())


def start(Server, args, tmp, cap, certs, free_port, tag, extra=()):
    gem, gop = free_port(), free_port()
    argv = [args.bin, "--capsule", cap, "--certs", certs, "--hostname",
            "localhost", "--listen", "127.0.0.1", "--gemini-port", gem,
            "--gopher-port", gop, "--lang", "en",
            # the load comes from one address: no limits on it
            "--rate-limit", "off", "--max-connections-per-address", "off",
            *extra]
    srv = Server(f"attache-{tag}", argv, tmp / f"attache-{tag}.log",
                 [gem, gop])
    srv.gem, srv.gop = gem, gop
    return srv


def reindex_one(srv, cap, gopher_query, n=5):
    """Appends a new word to one page n times: wall time until a search
    finds it, and the reindex time the server logs."""
    import socket
    walls, logged = [], []
    for k in range(n):
        word = f"quokka{k}zz"
        page = cap / "d042" / f"p0{4200 + k}.gmi"
        before = len(REINDEX_LINE.findall(srv.log_text()))
        t0 = time.monotonic()
        with open(page, "a") as f:
            f.write(f"A new word: {word}.\n")
        while time.monotonic() - t0 < 10:
            with socket.create_connection(("127.0.0.1", srv.gop),
                                          timeout=5) as s:
                s.sendall(gopher_query(word))
                got = b""
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    got += b
            if b"1 page matches." in got:
                break
            time.sleep(0.005)
        walls.append((time.monotonic() - t0) * 1000)
        lines = wait_log(srv, REINDEX_LINE, before + 1, timeout=5)
        if len(lines) > before:
            logged.append(int(lines[-1][0]))
    return walls, logged


def run(args, tmp, certs, Server, run_load, free_port, say):
    """The section's figures, and problems seen."""
    problems = []
    out = {"pages": PAGES}
    cap, text_bytes = make_capsule(tmp, say)
    out["text_mb"] = text_bytes / 1e6
    # The 50 MB just written go to disk now, not in the kernel's writeback
    # 30 s later, in the middle of the loads measured.
    os.sync()
    # The same capsule without search or changes: the memory baseline.
    base = start(Server, args, tmp, cap, certs, free_port, "nosearch",
                 ["--search", "off", "--changes", "off"])
    time.sleep(1.0)
    out["rss_without_kb"] = base.status_kb("VmRSS")
    base.stop()
    srv = start(Server, args, tmp, cap, certs, free_port, "search")
    try:
        found = wait_log(srv, INDEX_LINE)
        if not found:
            problems.append("search: the index was never built")
            return out, [], problems
        files, pages, ms, kb = (int(x) for x in found[0])
        out.update(files=files, build_ms=ms, index_kb=kb)
        time.sleep(0.5)
        out["rss_with_kb"] = srv.status_kb("VmRSS")
        out["hwm_kb"] = srv.status_kb("VmHWM")
        loads = []
        # (what, the Gemini query, the same as Gopher sends it)
        queries = [("rare word (1% of pages)", "extradition", "extradition"),
                   ("frequent word (30%)", "visa", "visa"),
                   ("prefix", "interp", "interp"),
                   ("phrase", "%22mutual%20legal%20assistance%22",
                    '"mutual legal assistance"'),
                   ("two words", "visa%20s%C3%A9curit%C3%A9",
                    "visa sécurité")]
        n = max(50, int(2000 * args.scale))
        # The floor: a request that does no work, on the same machine.
        loads.append(run_load(
            args, tmp, srv, "Gopher caps.txt (no search: the floor)",
            "gopher", srv.gop, "caps.txt\\r\\n", 16, n, 10,
            expect="CAPS"))
        for label, _, text in queries:
            loads.append(run_load(
                args, tmp, srv, f"Gopher search: {label}", "gopher",
                srv.gop, f"/search\\t{text}\\r\\n", 16, n, 10,
                expect="iSearch: "))
        for label, q, _ in queries[:2]:
            loads.append(run_load(
                args, tmp, srv, f"Gemini search, resumed: {label}", "gemini",
                srv.gem, f"gemini://localhost/search?{q}\\r\\n", 16, n, 10,
                resume=True, expect="20 "))
        walls, logged = reindex_one(
            srv, cap, lambda w: f"/search\t{w}\r\n".encode())
        out["reindex_wall_ms"] = walls
        out["reindex_logged_ms"] = logged
        for r in loads:
            if r.get("failures") or not r.get("requests"):
                problems.append(f"search: {r['label']}: "
                                f"{r.get('failures', '?')} failures")
    finally:
        alive = srv.alive()
        code = srv.stop()
        if not alive or code != 0:
            problems.append(f"search: attache exited with {code}")
    return out, loads, problems


def report(out, loads, table, fmt):
    """Lines of the report."""
    if "build_ms" not in out:
        return ["Search: no figures (see PROBLEMS)"]
    lines = [f"Search ({out['pages']} generated pages, "
             f"{out['text_mb']:.1f} MB of text; targets in brackets)"]
    lines.append(f"  index built in {out['build_ms']} ms  [< 10000 ms]")
    rss = None
    if out.get("rss_with_kb") and out.get("rss_without_kb"):
        rss = out["rss_with_kb"] - out["rss_without_kb"]
    rss_mb = fmt(rss / 1024 if rss else None, "{:.1f}")
    lines.append(f"  index memory: {out['index_kb'] / 1024:.1f} MB as counted"
                 f" by the server, RSS {rss_mb} MB more than the same "
                 f"capsule without search  [< {out['text_mb']:.0f} MB]")
    hwm_mb = fmt(out.get("hwm_kb", 0) / 1024, "{:.1f}")
    lines.append(f"  peak RSS while building (VmHWM): {hwm_mb} MB")
    w, lg = out.get("reindex_wall_ms", []), out.get("reindex_logged_ms", [])
    if lg:
        lines.append(f"  one-file edit reindexed in {statistics.median(lg)} ms"
                     f" (median of {len(lg)}; max {max(lg)}) as logged  "
                     "[< 100 ms]")
    if w:
        lines.append(f"  from the write to a search finding it: "
                     f"{statistics.median(w):.0f} ms median, {max(w):.0f} ms "
                     "max (includes the 100 ms quiet time of a batch)  "
                     "[< 2000 ms]")
    rows = [[r["label"], r["conns"], r.get("requests", "?"),
             r.get("failures", "?"), fmt(r.get("rps")),
             fmt(r.get("p50_ms"), "{:.2f}"), fmt(r.get("p99_ms"), "{:.2f}"),
             fmt(r["cpu_ms"] * 1000 if r.get("cpu_ms") is not None
                 else None)] for r in loads]
    lines += ["  " + x for x in table(rows, [
        "load  [p99 < 5 ms]", "conns", "reqs", "fail", "req/s", "p50 ms",
        "p99 ms", "srv CPU us/req"])]
    return lines
