"""Gopher over TLS on the Gopher port, for the clients that speak it: a
connection whose first byte is a TLS handshake record is served over TLS
with the site's certificate; a plain one as before."""
import socket

from conftest import client_context
from sitekit import TwoSites, gopher_tls, pem_der


def test_tls_and_plain_on_one_port(srv):
    data, der = gopher_tls(srv.gopher_port, b"/hello.txt\r\n")
    assert data == b"hello, world\n"
    assert der == pem_der(srv.certs / "localhost.crt")
    # A menu (rendered, not a file) and a big file over TLS too.
    data, _ = gopher_tls(srv.gopher_port, b"/\r\n")
    assert data.startswith(b"i# Test capsule\t\tlocalhost\t")
    assert data.endswith(b".\r\n")
    big = bytes(range(256)) * 4096 * 3
    (srv.capsule / "big.bin").write_bytes(big)
    data, _ = gopher_tls(srv.gopher_port, b"/big.bin\r\n")
    assert data == big
    assert srv.gopher_raw(b"/hello.txt\r\n") == b"hello, world\n"
    log = srv.wait_log('"/big.bin"')
    assert ' 127.0.0.1 gopher localhost "/hello.txt" 0 13 ' in log
    assert " warn" not in log, log


def test_the_port_site_certificate_whatever_the_name(tmp_path, conf_server):
    sites = TwoSites(tmp_path)
    s = conf_server(sites.text(), gemini_port=sites.gemini,
                    gopher_ports=[sites.gopher_office, sites.gopher_lab])
    _, der = gopher_tls(sites.gopher_lab, b"/\r\n", sni="office.test")
    assert der == pem_der(sites.certs / "lab.test.crt")
    data, der = gopher_tls(sites.gopher_office, b"/\r\n", sni="lab.test")
    assert der == pem_der(sites.certs / "office.test.crt")
    assert data.startswith(b"i# Office\t\toffice.test\t")
    assert s.gopher_raw(b"/\r\n", port=sites.gopher_lab).startswith(
        b"i# Lab\t")


def test_no_certificate_without_gemini(server):
    s = server(gemini=False)
    raw = socket.create_connection(("127.0.0.1", s.gopher_port), timeout=15)
    try:
        client_context().wrap_socket(raw, server_hostname="localhost")
        assert False, "a handshake without a certificate"
    except (OSError, ConnectionResetError):
        pass
    finally:
        raw.close()
    assert "a TLS handshake, but site localhost has no certificate " \
        "(Gemini is off)" in s.wait_log("has no certificate")
    assert s.gopher_raw(b"/hello.txt\r\n") == b"hello, world\n"
