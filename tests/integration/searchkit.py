"""Helpers for the search, change list and gophermap tests: the office's
capsule, and waiting for the capsule service."""
import os
import time

from conftest import free_ports
from sitekit import write_tree

# 2026-12-01T10:20:30Z, and the days before it.
T1 = 1796120430
DAY = 86400

OFFICE = {
    "index.gmi": "# Attaché office\n\nWelcome.\n"
                 "=> extradition.gmi Extradition\n",
    "extradition.gmi": "# Extradition requests\n\n"
                       "Requests for extradition go through Interpol.\n"
                       "Mutual legal assistance treaties apply.\n",
    "securite.gmi": "# Sécurité intérieure\n\nLa sécurité des visas.\n",
    "notes.txt": "legal mutual assistance, out of order here\n",
    "drafts/d.gmi": "# Draft about extradition\n",
    "dir/index.gmi": "# A directory\n\nNothing about visas.\n",
    "photo.jpg": b"\xff\xd8 not really a photo",
}

# Modification times: the change list's order.
MTIMES = {
    "index.gmi": T1 - 5 * DAY,
    "extradition.gmi": T1,
    "securite.gmi": T1 - DAY,
    "notes.txt": T1 + DAY,
    "drafts/d.gmi": T1 + 2 * DAY,
    "dir/index.gmi": T1 - 2 * DAY,
    "photo.jpg": T1 - 3 * DAY,
}


def make_office(base):
    cap = base / "office"
    write_tree(cap, OFFICE)
    for rel, t in MTIMES.items():
        os.utime(cap / rel, (t, t))
    return cap


def office_conf(cap, certs, gemini, gopher, extra=""):
    return f"""listen "127.0.0.1"
gemini-port {gemini}
workers 2
site "localhost" {{
    capsule "{cap}"
    certs "{certs}"
    lang none
    gopher-port {gopher}
    location "/drafts/*" {{ gone }}
{extra}
}}
"""


def wait_indexed(srv, count=1, timeout=20.0):
    """The log once the capsule service has indexed count times."""
    deadline = time.monotonic() + timeout
    while True:
        log = srv.log()
        if log.count(": indexed ") >= count or time.monotonic() > deadline:
            assert log.count(": indexed ") >= count, log
            return log
        time.sleep(0.02)


def gemini_until(srv, url, pred, timeout=2.0, step=0.05):
    """Asks url until pred(header, body) holds; returns (seconds, answer)."""
    t0 = time.monotonic()
    while True:
        got = srv.gemini(url)
        if pred(got[0], got[1]) or time.monotonic() - t0 > timeout:
            return time.monotonic() - t0, got
        time.sleep(step)


def office_server(tmp_path, conf_server):
    """The office capsule served, its index built; .capsule is its
    directory."""
    cap = make_office(tmp_path)
    g, p = free_ports(2)
    s = conf_server(office_conf(cap, tmp_path / "certs", g, p),
                    gemini_port=g, gopher_ports=[p])
    s.capsule = cap
    wait_indexed(s)
    return s
