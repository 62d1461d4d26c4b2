"""Several sites from one configuration file: SNI, aliases, locations,
listings, Gopher ports, and nothing of one site reachable through another."""
import re
import subprocess

import pytest

from conftest import BIN, free_port, root_items
from sitekit import (TwoSites, cert_chain_count, make_cert, peer_der,
                     pem_der, write_tree)


@pytest.fixture
def two(tmp_path, conf_server):
    sites = TwoSites(tmp_path)
    s = conf_server(sites.text(), gemini_port=sites.gemini,
                    gopher_ports=[sites.gopher_office, sites.gopher_lab])
    s.sites = sites
    return s


def gem(s, sni, url):
    header, body, notify = s.gemini(url, sni=sni)
    assert notify
    return header, body


def test_sni_picks_the_site_and_its_certificate(two):
    g = two.sites.gemini
    assert gem(two, "office.test", f"gemini://office.test:{g}/") == (
        "20 text/gemini; lang=en", b"# Office\n\n=> page.gmi A page\n")
    assert gem(two, "lab.test", f"gemini://lab.test:{g}/") == (
        "20 text/gemini", b"# Lab\n")
    office = pem_der(two.sites.certs / "office.test.crt")
    lab = pem_der(two.sites.certs / "lab.test.crt")
    assert office != lab
    assert peer_der(g, "office.test") == office
    assert peer_der(g, "lab.test") == lab
    # Names are compared without regard to case.
    assert peer_der(g, "LAB.Test") == lab
    log = two.wait_log('lab.test "gemini://lab.test')
    assert re.search(r' 127\.0\.0\.1 gemini office\.test "gemini://office\.test:'
                     r'\d+/" 20 \d+ \d+ms$', log, re.M), log
    assert re.search(r' 127\.0\.0\.1 gemini lab\.test "gemini://lab\.test:'
                     r'\d+/" 20 \d+ \d+ms$', log, re.M), log


def test_without_sni_the_first_site_answers(two):
    g = two.sites.gemini
    office = pem_der(two.sites.certs / "office.test.crt")
    # An IP-literal URL: no SNI at all.
    assert peer_der(g, None) == office
    assert gem(two, None, f"gemini://127.0.0.1:{g}/page.gmi") == (
        "20 text/gemini; lang=en", b"# Office page\n")
    # An unknown name gets the first site too, and its host is refused.
    assert peer_der(g, "unknown.test") == office
    assert gem(two, "unknown.test", f"gemini://unknown.test:{g}/") == (
        "53 Proxy request refused", b"")
    assert gem(two, None, f"gemini://lab.test:{g}/") == (
        "53 Proxy request refused", b"")


def test_alias(two):
    g = two.sites.gemini
    office = pem_der(two.sites.certs / "office.test.crt")
    assert peer_der(g, "www.office.test") == office
    assert gem(two, "www.office.test", f"gemini://www.office.test:{g}/") == (
        "20 text/gemini; lang=en", b"# Office\n\n=> page.gmi A page\n")
    # The generated certificate names the alias too.
    r = subprocess.run(["openssl", "x509", "-noout", "-ext",
                        "subjectAltName", "-in",
                        str(two.sites.certs / "office.test.crt")],
                       capture_output=True, check=True)
    assert b"DNS:office.test, DNS:www.office.test" in r.stdout


def test_host_of_the_other_site_is_refused(two):
    g = two.sites.gemini
    assert gem(two, "office.test", f"gemini://lab.test:{g}/") == (
        "53 Proxy request refused", b"")
    assert gem(two, "lab.test", f"gemini://office.test:{g}/") == (
        "53 Proxy request refused", b"")
    assert gem(two, "lab.test", f"gemini://www.office.test:{g}/") == (
        "53 Proxy request refused", b"")
    log = two.wait_log("host not served")
    assert "(host not served)" in log


def test_redirects(two):
    g = two.sites.gemini
    assert gem(two, "office.test",
               f"gemini://office.test:{g}/old-news/a.gmi") == ("31 /news/", b"")
    assert gem(two, "office.test", f"gemini://office.test:{g}/old-news/") == (
        "31 /news/", b"")
    assert gem(two, "office.test", f"gemini://office.test:{g}/moved/x") == (
        "30 gemini://lab.test/x.gmi", b"")
    # Locations are the office's alone.
    assert gem(two, "lab.test", f"gemini://lab.test:{g}/old-news/a.gmi") == (
        "51 Not found", b"")


def test_gone_in_both_protocols(two):
    g, p = two.sites.gemini, two.sites.gopher_office
    assert gem(two, "office.test", f"gemini://office.test:{g}/drafts/d.gmi") \
        == ("52 Gone", b"")
    assert two.gopher_raw(b"/drafts/d.gmi\r\n", port=p) == (
        f"3Gone\t\toffice.test\t{p}\r\n.\r\n".encode())
    log = two.wait_log("(gone)")
    assert re.search(r' gopher office\.test "/drafts/d\.gmi" 3 \d+ \d+ms '
                     r'\(gone\)$', log, re.M), log


def test_gopher_redirect_links_to_the_new_place(two):
    p = two.sites.gopher_office
    assert two.gopher_raw(b"/old-news/a.gmi\r\n", port=p) == (
        f"3This page has moved\t\toffice.test\t{p}\r\n"
        f"1New location\t/news/\toffice.test\t{p}\r\n.\r\n").encode()
    assert two.gopher_raw(b"/moved/x\r\n", port=p) == (
        f"3This page has moved\t\toffice.test\t{p}\r\n"
        f"hNew location\tURL:gemini://lab.test/x.gmi\toffice.test\t{p}\r\n"
        ".\r\n").encode()


def test_lang_per_location(two):
    g = two.sites.gemini
    assert gem(two, "office.test", f"gemini://office.test:{g}/fr/")[0] == \
        "20 text/gemini; lang=fr"
    assert gem(two, "office.test", f"gemini://office.test:{g}/fr/page.gmi")[0] \
        == "20 text/gemini; lang=fr"
    assert gem(two, "office.test", f"gemini://office.test:{g}/page.gmi")[0] \
        == "20 text/gemini; lang=en"


def test_listing_off(two):
    g = two.sites.gemini
    assert gem(two, "office.test", f"gemini://office.test:{g}/nolist/") == (
        "51 Not found", b"")
    # The file inside is still served; the lab lists its directories.
    assert gem(two, "office.test",
               f"gemini://office.test:{g}/nolist/a.txt") == (
        "20 text/plain; charset=utf-8", b"a\n")
    h, body = gem(two, "lab.test", f"gemini://lab.test:{g}/nolist/")
    assert h == "20 text/gemini"
    assert body.endswith(b"=> ./b.txt b.txt\n")
    p = two.sites.gopher_office
    assert two.gopher_raw(b"/nolist/\r\n", port=p) == (
        f"3Not found\t\toffice.test\t{p}\r\n.\r\n".encode())
    log = two.wait_log("(listing off)")
    assert "gopher office.test \"/nolist/\" 3" in log


def test_each_gopher_port_serves_its_own_site(two):
    po, pl = two.sites.gopher_office, two.sites.gopher_lab
    office = two.gopher_raw(b"\r\n", port=po)
    assert office == (f"i# Office\t\toffice.test\t{po}\r\n"
                      f"i\t\toffice.test\t{po}\r\n"
                      f"1A page\t/page.gmi\toffice.test\t{po}\r\n"
                      ).encode() + root_items(po, "office.test") + b".\r\n"
    lab = two.gopher_raw(b"/\r\n", port=pl)
    assert lab == (f"i# Lab\t\tlab.test\t{pl}\r\n".encode()
                   + root_items(pl, "lab.test") + b".\r\n")
    assert two.gopher_raw(b"/lab-only.gmi\r\n", port=pl) == (
        f"i# Only in the lab\t\tlab.test\t{pl}\r\n.\r\n").encode()
    assert two.gopher_raw(b"/lab-only.gmi\r\n", port=po) == (
        f"3Not found\t\toffice.test\t{po}\r\n.\r\n").encode()
    # caps.txt is each port's own, and the same document.
    assert two.gopher_raw(b"caps.txt\r\n", port=po).startswith(b"CAPS\n")
    assert two.gopher_raw(b"caps.txt\r\n", port=pl).startswith(b"CAPS\n")
    log = two.wait_log('gopher lab.test "/lab-only.gmi"')
    assert re.search(r' gopher lab\.test "/lab-only\.gmi" 1 \d+ \d+ms$', log,
                     re.M), log
    assert re.search(r' gopher office\.test "/lab-only\.gmi" 3 \d+ \d+ms '
                     r'\(no such file\)$', log, re.M), log


def test_nothing_of_one_site_through_another(two):
    g, po = two.sites.gemini, two.sites.gopher_office
    office = two.sites.office
    # A symlink from the office into the lab leads out of the capsule.
    (office / "to-lab.gmi").symlink_to(two.sites.lab / "lab-only.gmi")
    (office / "lab-dir").symlink_to(two.sites.lab)
    for path in ["/to-lab.gmi", "/lab-dir/", "/lab-dir/lab-only.gmi",
                 "/../lab/lab-only.gmi", "/%2e%2e/lab/lab-only.gmi"]:
        h, body = gem(two, "office.test", f"gemini://office.test:{g}{path}")
        assert (h, body) == ("51 Not found", b""), path
    for sel in [b"/to-lab.gmi", b"/lab-dir/lab-only.gmi",
                b"/../lab/lab-only.gmi"]:
        got = two.gopher_raw(sel + b"\r\n", port=po)
        assert got == f"3Not found\t\toffice.test\t{po}\r\n.\r\n".encode(), sel


def test_full_chain_is_served_whole(tmp_path, conf_server):
    certs = tmp_path / "certs"
    root = make_cert(certs, "root.test", out=(certs / "root.crt",
                                              certs / "root.key"))
    inter = make_cert(certs, "inter.test", ca=root, is_ca=True,
                      out=(certs / "inter.crt", certs / "inter.key"))
    leaf_crt, leaf_key = make_cert(certs, "chain.test", ca=inter,
                                   out=(certs / "leaf.crt",
                                        certs / "chain.test.key"))
    # As ACME clients write fullchain.pem: the leaf, then the intermediate.
    (certs / "chain.test.crt").write_text(leaf_crt.read_text() +
                                          inter[0].read_text())
    write_tree(tmp_path / "cap", {"index.gmi": "# Chain\n"})
    g = free_port()
    s = conf_server(f'listen "127.0.0.1"\ngemini-port {g}\n'
                    f'site "chain.test" {{ capsule "{tmp_path}/cap" '
                    f'certs "{certs}" }}\n', gemini_port=g)
    assert cert_chain_count(g, "chain.test") == 2
    assert peer_der(g, "chain.test") == pem_der(leaf_crt)
    assert s.gemini(f"gemini://chain.test:{g}/", sni="chain.test")[0] == \
        "20 text/gemini; lang=en"


def test_relative_paths_are_the_files_directory(tmp_path):
    conf_dir = tmp_path / "etc"
    write_tree(conf_dir / "cap", {"index.gmi": "# Relative\n"})
    p = free_port()
    (conf_dir / "a.conf").write_text(
        f'listen "127.0.0.1"\ngemini-port 0\n'
        f'site "localhost" {{ capsule "cap" certs "certs" gopher-port {p} }}\n')
    proc = subprocess.Popen([BIN, "-f", "etc/a.conf"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        from conftest import wait_port, read_all
        import socket
        assert wait_port(p)
        with socket.create_connection(("127.0.0.1", p), timeout=10) as c:
            c.sendall(b"/\r\n")
            assert read_all(c) == (
                f"i# Relative\t\tlocalhost\t{p}\r\n".encode()
                + root_items(p) + b".\r\n")
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0


def test_sessions_resume_on_their_own_site_only(two):
    import socket
    from conftest import client_context
    g = two.sites.gemini
    ctx = client_context()

    def get(sni, session=None):
        raw = socket.create_connection(("127.0.0.1", g), timeout=15)
        with ctx.wrap_socket(raw, server_hostname=sni, session=session) as s:
            s.sendall(f"gemini://{sni}:{g}/\r\n".encode())
            while s.recv(65536):
                pass
            return s.session, s.session_reused

    for sni in ("office.test", "lab.test"):
        sess, reused = get(sni)
        assert not reused
        _, reused = get(sni, sess)
        assert reused, sni
    # A session of the office is no key to the lab.
    sess, _ = get("office.test")
    _, reused = get("lab.test", sess)
    assert not reused
