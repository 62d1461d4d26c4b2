"""attache against another build of itself (bench.py --baseline BIN): the
Gemini page over full handshakes at 1, 16 and 64 clients, both servers on
the same capsule and certificate, alternating load by load and round by
round (the order swapped each round), so that both see the same machine.
Each round starts both servers anew: one instance's luck (where its
threads settled, its memory's layout) once put 9 % between two builds
whose code at 1 client was the same, for a whole run of 12 rounds; fresh
instances make that noise that the rounds average.  The table gives the
server CPU per request (every process of each server: the privileged one
and its children) and the clients' p50 / p99, each the median over the
rounds, before and after, and the median of each round's after / before
(the steadier figure on a shared machine); then each round's ratios at 16
clients, to show how far the machine moved them."""

CLIENTS = (1, 16, 64)


def median(values):
    v = sorted(x for x in values if x is not None)
    return v[len(v) // 2] if v else None


def run(args, plan, page, start, stop, run_load, say):
    """Returns {"after": runs, "before": runs}, runs[c] holding one load's
    figures per round.  start(binary, tag) starts a server; stop(server,
    loads) stops it and checks its log against the loads it served."""
    res = {"after": {}, "before": {}}
    builds = [(args.bin, "after"), (args.baseline, "before")]
    for rnd in range(plan.rounds):
        say(f"before/after: round {rnd + 1} of {plan.rounds}")
        order = builds if rnd % 2 == 0 else builds[::-1]
        live = []
        try:
            for binary, key in order:
                srv = start(binary, f"-{key}-{rnd + 1}")
                live.append((srv, key, []))
            for srv, key, loads in live:
                loads.append(run_load(args.loadgen, srv, "warm-up",
                                      "gemini", srv.gem, page, 2, 200, 5))
            for c in CLIENTS:
                for srv, key, loads in live:
                    r = run_load(args.loadgen, srv,
                                 "Gemini 2 KB page, full handshake",
                                 "gemini", srv.gem, page, c, plan.small[c],
                                 plan.duration, expect="20 ")
                    res[key].setdefault(c, []).append(r)
                    loads.append(r)
        finally:
            for srv, key, loads in live:
                stop(srv, loads)
    return res


def report(res, baseline, table, fmt):
    rows = []
    for c in CLIENTS:
        b, a = res["before"].get(c, []), res["after"].get(c, [])
        who = f"{c} client{'s' if c > 1 else ''}"
        for q, what, spec in (("cpu_ms", "server CPU ms/request", "{:.3f}"),
                              ("p50_ms", "p50 ms", "{:.2f}"),
                              ("p99_ms", "p99 ms", "{:.2f}")):
            pairs = [(x.get(q), y.get(q)) for x, y in zip(a, b)
                     if x.get(q) and y.get(q)]
            per = [x / y for x, y in pairs]
            # The rounds' sums: every request of each weighs the same.
            whole = (sum(x for x, _ in pairs) / sum(y for _, y in pairs)
                     if pairs else None)
            rows.append([f"{who}: {what}",
                         fmt(median(r.get(q) for r in b), spec),
                         fmt(median(r.get(q) for r in a), spec),
                         fmt(median(per), "{:.3f}"),
                         fmt(whole, "{:.3f}")])
    out = [f"attache before ({baseline}) and after: Gemini 2 KB page, "
           "full handshakes; medians of the rounds, the median of each "
           "round's after / before (its two loads seconds apart), and the "
           "ratio of the rounds' sums"]
    out += table(rows, ["load", "before", "after", "after / before",
                        "of the sums"])
    for q in ("cpu_ms", "p99_ms"):
        per = [fmt(x.get(q) / y.get(q) if x.get(q) and y.get(q) else None,
                   "{:.3f}")
               for x, y in zip(res["after"].get(16, []),
                               res["before"].get(16, []))]
        out.append(f"  per round, {q[:-3]} after / before at 16 clients: " +
                   " ".join(per))
    return out
