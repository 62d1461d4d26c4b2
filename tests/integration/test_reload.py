"""SIGHUP: the configuration, certificates and sites read again while
requests go on; a reload that fails changes nothing."""
import os
import re
import socket
import ssl
import threading
import time

import pytest

from conftest import (SANITIZED, client_context, connections_held,
                      free_port, quiescent, read_all, root_items, wait_until)
from sitekit import TwoSites, make_cert, peer_der, pem_der, write_tree


@pytest.fixture
def two(tmp_path, conf_server):
    sites = TwoSites(tmp_path)
    s = conf_server(sites.text(), gemini_port=sites.gemini,
                    gopher_ports=[sites.gopher_office, sites.gopher_lab])
    s.sites = sites
    return s


def office_home(s):
    g = s.sites.gemini
    return s.gemini(f"gemini://office.test:{g}/", sni="office.test")


def test_reload_applies_a_changed_site(two):
    assert office_home(two)[0] == "20 text/gemini; lang=en"
    line = two.reload(two.sites.text().replace('lang "en"', 'lang "de"'))
    assert re.search(r"reloaded: 2 sites \(generation 2; \d+ older still "
                     r"serving connections\)$", line), line
    assert office_home(two)[0] == "20 text/gemini; lang=de"


def test_failed_reload_keeps_serving(two):
    good = two.sites.text()
    conf = str(two.conf)
    # A syntax error: every problem named at its line, nothing changed.
    bad = good.replace('workers 2\n', 'workers 2\nbogus 1\n').replace(
        'lang "en"', 'lang "de"')
    line = two.reload(bad)
    assert line.endswith("reload failed: 1 problem; still serving "
                         "generation 1"), line
    assert f'attache warn: {conf}:5: unknown directive "bogus"' in two.log()
    assert office_home(two) == ("20 text/gemini; lang=en",
                                b"# Office\n\n=> page.gmi A page\n", True)
    # A missing key.
    (two.sites.certs / "lab.test.key").rename(two.sites.certs / "lab.key")
    line = two.reload(good.replace('lang "en"', 'lang "de"'))
    assert "reload failed: 1 problem" in line, line
    assert re.search(rf"attache warn: {re.escape(conf)}:\d+: "
                     r".*lab\.test\.crt exists but .*lab\.test\.key is "
                     r"missing", two.log()), two.log()
    assert office_home(two)[0] == "20 text/gemini; lang=en"
    (two.sites.certs / "lab.key").rename(two.sites.certs / "lab.test.key")
    # A port in use: the new Gopher port of the lab is held by another.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        held = busy.getsockname()[1]
        text = good.replace(f"gopher-port {two.sites.gopher_lab}",
                            f"gopher-port {held}")
        line = two.reload(text)
        assert "reload failed: 1 problem" in line, line
        lineno = text.splitlines().index(
            [l for l in text.splitlines() if f"gopher-port {held}" in l][0]) + 1
        assert (f"attache warn: {conf}:{lineno}: 127.0.0.1 port {held} "
                "(gopher): Address already in use") in two.log()
    # The lab still answers on its old port; then a good reload goes through.
    assert two.gopher_raw(b"/\r\n", port=two.sites.gopher_lab).startswith(
        b"i# Lab\t")
    line = two.reload(good.replace('lang "en"', 'lang "de"'))
    assert "reloaded: 2 sites (generation 2;" in line, line
    assert office_home(two)[0] == "20 text/gemini; lang=de"


def test_new_port_bound_and_removed_port_closed(two, tmp_path):
    sites = two.sites
    extra_port = free_port()
    write_tree(tmp_path / "third", {"index.gmi": "# Third\n"})
    third = (f'site "third.test" {{ capsule "{tmp_path}/third" '
             f'certs "{sites.certs}" gopher-port {extra_port} }}\n')
    assert "reloaded: 3 sites" in two.reload(sites.text(lab_extra=third))
    assert two.gopher_raw(b"/\r\n", port=extra_port) == (
        f"i# Third\t\tthird.test\t{extra_port}\r\n".encode()
        + root_items(extra_port, "third.test") + b".\r\n")
    g = sites.gemini
    assert two.gemini(f"gemini://third.test:{g}/", sni="third.test")[:2] == (
        "20 text/gemini; lang=en", b"# Third\n")
    assert "reloaded: 2 sites" in two.reload(sites.text())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", extra_port), timeout=5)
    assert two.gemini(f"gemini://third.test:{g}/", sni="third.test")[0] == \
        "53 Proxy request refused"


def test_certificate_replaced_then_reloaded(two):
    g = two.sites.gemini
    certs = two.sites.certs
    old = pem_der(certs / "lab.test.crt")
    assert peer_der(g, "lab.test") == old
    # Renewed in place, as an ACME client does.
    tmp = certs / "renew"
    crt, key = make_cert(tmp, "lab.test")
    os.replace(key, certs / "lab.test.key")
    os.replace(crt, certs / "lab.test.crt")
    new = pem_der(certs / "lab.test.crt")
    assert new != old
    # Until the reload the running one stays.
    assert peer_der(g, "lab.test") == old
    assert "reloaded: 2 sites" in two.reload()
    assert peer_der(g, "lab.test") == new
    assert peer_der(g, "office.test") == pem_der(certs / "office.test.crt")


def test_request_in_flight_finishes_with_its_generation(two, tmp_path):
    """A download started before a reload that moves the capsule elsewhere
    completes byte for byte from the old capsule."""
    # Larger than what the socket buffers hold: the server is still
    # sending it when the reload comes.
    big = os.urandom(32 * 1024 * 1024)
    (two.sites.office / "big.bin").write_bytes(big)
    elsewhere = tmp_path / "office2"
    write_tree(elsewhere, {"index.gmi": "# Office, moved\n"})
    g = two.sites.gemini
    raw = socket.create_connection(("127.0.0.1", g), timeout=30)
    s = client_context().wrap_socket(raw, server_hostname="office.test")
    s.sendall(f"gemini://office.test:{g}/big.bin\r\n".encode())
    first = s.recv(1024)
    assert first.startswith(b"20 application/octet-stream\r\n")
    serving = two.server_pid()
    text = two.sites.text().replace(f'capsule "{two.sites.office}"',
                                    f'capsule "{elsewhere}"')
    assert "reloaded: 2 sites (generation 2; 1 older still serving " \
        "connections)" in two.reload(text)
    assert office_home(two)[1] == b"# Office, moved\n"
    data = bytearray(first)
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    assert bytes(data) == b"20 application/octet-stream\r\n" + big
    # The old generation goes with its last connection: once the process
    # that served it has closed it and is done with it (the server shut
    # its side first, so the kernel ends the connection at the client's
    # close, while the server may still hold the socket); or, when the
    # reload gave the new capsule a new server process, once the old one
    # has ended and been reaped.

    def let_go():
        try:
            if two.server_pid() != serving:
                return not os.path.exists(f"/proc/{serving}")
            return connections_held(serving) == 0 and quiescent(serving)
        except OSError:
            return False        # it ended meanwhile: ask again
    assert wait_until(let_go)
    assert "(generation 3; 0 older still serving connections)" in \
        two.reload(text)


def fetch_gemini(port, sni, url):
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    with client_context().wrap_socket(raw, server_hostname=sni,
                                      suppress_ragged_eofs=False) as s:
        s.sendall(url.encode() + b"\r\n")
        return read_all(s), s.getpeercert(binary_form=True)


def fetch_gopher(port, sel):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(sel)
        return read_all(s)


# The load below is one address asking as fast as it can: over the default
# rate limit, which is not what these tests are about.
UNLIMITED = "rate-limit off"


@pytest.fixture
def two_unlimited(tmp_path, conf_server):
    sites = TwoSites(tmp_path)
    s = conf_server(sites.text(glob=UNLIMITED), gemini_port=sites.gemini,
                    gopher_ports=[sites.gopher_office, sites.gopher_lab])
    s.sites = sites
    return s


def test_reload_under_load_loses_nothing(two_unlimited, tmp_path):
    """8 clients in a loop over both protocols during 20 reloads: every
    answer is complete and right, and each renewed certificate (lab's
    twice, office's once: new keys, which the key process gets with
    them) is served once its reload is done, signed by its key (the
    handshake checks the signature), while the handshakes begun before
    end with the old key."""
    two = two_unlimited
    sites = two.sites
    g, po, pl = sites.gemini, sites.gopher_office, sites.gopher_lab
    office_body = b"# Office\n\n=> page.gmi A page\n"
    gemini_ok = {b"20 text/gemini; lang=" + l + b"\r\n" + office_body
                 for l in (b"en", b"fr")}
    lab_ok = b"20 text/gemini\r\n# Lab\n"
    gopher_office_ok = (f"i# Office\t\toffice.test\t{po}\r\n"
                        f"i\t\toffice.test\t{po}\r\n"
                        f"1A page\t/page.gmi\toffice.test\t{po}\r\n"
                        ).encode() + root_items(po, "office.test") + b".\r\n"
    gopher_lab_ok = (f"i# Lab\t\tlab.test\t{pl}\r\n".encode()
                     + root_items(pl, "lab.test") + b".\r\n")
    names = ("office.test", "lab.test")
    # Each site's certificates, oldest first, and when each renewal's
    # reload ended (the number of the certificate it brought).
    certs = {n: [pem_der(sites.certs / f"{n}.crt")] for n in names}
    renew_at = {5: "lab.test", 10: "office.test", 15: "lab.test"}
    stop = threading.Event()
    errors, counts = [], [0] * 8
    renewed = {n: [] for n in names}

    def newest(name, t0, der):
        # Connected after a renewal's reload: that one, or a later one.
        done = [k for at, k in list(renewed[name]) if at < t0]
        known = list(certs[name])
        return der in known and known.index(der) >= max(done, default=0)

    def client(i):
        while not stop.is_set():
            try:
                if i % 4 == 0:
                    t0 = time.monotonic()
                    got, der = fetch_gemini(g, "office.test",
                                            f"gemini://office.test:{g}/")
                    ok = (got in gemini_ok and
                          newest("office.test", t0, der))
                elif i % 4 == 1:
                    t0 = time.monotonic()
                    got, der = fetch_gemini(g, "lab.test",
                                            f"gemini://lab.test:{g}/")
                    ok = got == lab_ok and newest("lab.test", t0, der)
                elif i % 4 == 2:
                    got = fetch_gopher(po, b"/\r\n")
                    ok = got == gopher_office_ok
                else:
                    got = fetch_gopher(pl, b"\r\n")
                    ok = got == gopher_lab_ok
                if not ok:
                    errors.append((i, got[:200]))
                counts[i] += 1
            except (OSError, ssl.SSLError) as e:
                errors.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()

    def answered():
        """Once every client has had an answer since."""
        before = list(counts)
        return lambda: all(c > b for c, b in zip(counts, before))

    try:
        for n in range(20):
            since = answered()
            assert wait_until(since), (counts, errors[:5])
            text = sites.text(glob=UNLIMITED)
            if n % 2 == 1:
                text = text.replace('lang "en"', 'lang "fr"')
            name = renew_at.get(n)
            if name is not None:
                crt, key = make_cert(tmp_path / f"renew{n}", name)
                certs[name].append(pem_der(crt))
                os.replace(key, sites.certs / f"{name}.key")
                os.replace(crt, sites.certs / f"{name}.crt")
            line = two.reload(text)
            assert f"reloaded: 2 sites (generation {n + 2};" in line, line
            if name is not None:
                renewed[name].append((time.monotonic(),
                                      len(certs[name]) - 1))
        # And from the last generation too.
        since = answered()
        assert wait_until(since), (counts, errors[:5])
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == [], errors[:5]
    assert all(c > 0 for c in counts), counts
    for name in names:
        assert len(certs[name]) == 1 + list(renew_at.values()).count(name)
        assert peer_der(g, name) == certs[name][-1]


def test_memory_flat_after_200_reloads(two):
    for _ in range(20):
        two.reload()
    rss_before = two.rss_kb("VmRSS")
    for _ in range(180):
        line = two.reload()
    # Every old generation is gone: none still serves a connection.
    assert line.endswith("(generation 201; 0 older still serving "
                         "connections)"), line
    rss_after = two.rss_kb("VmRSS")
    if not SANITIZED:
        assert rss_after - rss_before < 2048, (rss_before, rss_after)
    assert office_home(two)[0] == "20 text/gemini; lang=en"


def test_sighup_without_a_file_reloads_the_certificate(server, tmp_path):
    s = server(gopher=False)
    der = peer_der(s.gemini_port, "localhost")
    crt, key = make_cert(tmp_path / "renew", "localhost")
    os.replace(key, s.certs / "localhost.key")
    os.replace(crt, s.certs / "localhost.crt")
    s.wait_log("SIGHUP reloads")
    s.proc.send_signal(__import__("signal").SIGHUP)
    assert "reloaded: 1 sites" in s.wait_log("reloaded:")
    assert peer_der(s.gemini_port, "localhost") == pem_der(
        s.certs / "localhost.crt") != der
