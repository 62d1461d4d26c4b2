"""A real front end: Debian's haproxy on loopback in front of two attache
instances serving the same capsule with the same certificate.  TLS is
passed through untouched (SNI reaches attache); the Gemini backends get
PROXY v2 (with checks), the Gopher backends PROXY v1.  Clients connect
from 127.0.0.2: attache logs that address, not haproxy's."""
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import (accept_queue, client_context, connections_held,
                      free_ports, make_capsule, read_all, wait_port,
                      wait_until)
from sitekit import pem_der

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CLIENT = "127.0.0.2"

HAPROXY_CFG = """global
    maxconn 512
    stats socket {stats}

defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1

frontend gemini
    bind 127.0.0.1:{hg}
    default_backend gemini

backend gemini
    balance roundrobin
    server a 127.0.0.1:{ga} send-proxy-v2 check inter 200ms fall 1 rise 1
    server b 127.0.0.1:{gb} send-proxy-v2 check inter 200ms fall 1 rise 1

frontend gopher
    bind 127.0.0.1:{hp}
    default_backend gopher

backend gopher
    balance roundrobin
    server a 127.0.0.1:{pa} send-proxy check inter 200ms fall 1 rise 1
    server b 127.0.0.1:{pb} send-proxy check inter 200ms fall 1 rise 1
"""

ATTACHE_CFG = """listen "127.0.0.1" proxy
gemini-port {gemini}
site "localhost" {{
    capsule "{capsule}"
    certs "{certs}"
    lang none
    gopher-port {gopher}
    gopher-public-port {public}
}}
"""


class Front:
    def __init__(self, tmp_path, conf_server):
        if not shutil.which(HAPROXY):
            pytest.fail("haproxy is missing: make deps-test installs it")
        self.capsule = make_capsule(tmp_path)
        self.certs = tmp_path / "certs"
        self.hg, self.hp, *mine = free_ports(6)
        self.ports = dict(zip(("ga", "gb", "pa", "pb"), mine))
        self.instances = []
        for g, p in (("ga", "pa"), ("gb", "pb")):
            # The first generates the certificate, the second loads it.
            text = ATTACHE_CFG.format(gemini=self.ports[g],
                                      gopher=self.ports[p],
                                      public=self.hp, capsule=self.capsule,
                                      certs=self.certs)
            self.instances.append(conf_server(
                text, gemini_port=self.ports[g], gopher_ports=[self.ports[p]]))
        cfg = tmp_path / "haproxy.cfg"
        # A short path: a socket's must fit in 108 bytes.
        self.stats_dir = tempfile.mkdtemp(prefix="haproxy-")
        self.stats = f"{self.stats_dir}/stats.sock"
        cfg.write_text(HAPROXY_CFG.format(hg=self.hg, hp=self.hp,
                                          stats=self.stats, **self.ports))
        self.log = open(tmp_path / "haproxy.log", "wb")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)],
                                     stdout=self.log,
                                     stderr=subprocess.STDOUT)
        if not (wait_port(self.hg) and wait_port(self.hp)):
            self.stop()
            raise RuntimeError("haproxy did not start: " +
                               (tmp_path / "haproxy.log").read_text())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.stats_dir, ignore_errors=True)

    def servers(self):
        """haproxy's statistics of its four servers, one dict each."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(15)
            s.connect(self.stats)
            s.sendall(b"show stat\n")
            text = read_all(s).decode()
        head, *rows = [line for line in text.splitlines() if line]
        names = head.lstrip("# ").split(",")
        return [row for row in (dict(zip(names, r.split(","))) for r in rows)
                if row["svname"] in ("a", "b")]

    def idle(self, inst):
        """True when inst has dealt with every connection made to it so
        far: none waits to be accepted (looked at first), none is open."""
        return (all(accept_queue(port) == 0 for port in
                    (inst.gemini_port, inst.gopher_port)) and
                connections_held(inst.server_pid()) == 0)


@pytest.fixture
def front(tmp_path, conf_server):
    f = Front(tmp_path, conf_server)
    yield f
    f.stop()


def gemini(port, url, sni="localhost"):
    raw = socket.create_connection(("127.0.0.1", port), timeout=15,
                                   source_address=(CLIENT, 0))
    with client_context().wrap_socket(raw, server_hostname=sni) as s:
        s.sendall(url.encode() + b"\r\n")
        return read_all(s), s.getpeercert(binary_form=True)


def gopher(port, sel):
    with socket.create_connection(("127.0.0.1", port), timeout=15,
                                  source_address=(CLIENT, 0)) as s:
        s.sendall(sel)
        return read_all(s)


PAGE = b"20 text/gemini\r\n# A page\n\nSome text.\n"


def test_client_address_reaches_both_instances(front):
    f = front
    cert = pem_der(f.certs / "localhost.crt")
    for _ in range(4):
        data, der = gemini(f.hg, f"gemini://localhost:{f.hg}/page.gmi")
        assert data == PAGE
        # One certificate for every instance: clients pin it.
        assert der == cert
        assert gopher(f.hp, b"/hello.txt\r\n") == b"hello, world\n"
    # Menus name the front end's port.
    assert gopher(f.hp, b"/\r\n").startswith(
        f"i# Test capsule\t\tlocalhost\t{f.hp}\r\n".encode())
    for inst in f.instances:
        log = inst.wait_log(f'{CLIENT} gopher localhost "/hello.txt" 0 13')
        assert (f' {CLIENT} gemini localhost '
                f'"gemini://localhost:{f.hg}/page.gmi" 20 ') in log, log
        assert f' {CLIENT} gopher localhost "/hello.txt" 0 13 ' in log, log
        assert " 127.0.0.1 gemini " not in log and \
            " 127.0.0.1 gopher " not in log


def test_health_checks_are_not_errors(front):
    # Every backend checked (every 200 ms) and found up...
    assert wait_until(lambda: [r["check_status"] for r in front.servers()]
                      == ["L4OK"] * 4), front.servers()
    # ... and those checks' connections closed by attache, so that what
    # it had to say of them is in its log.
    for inst in front.instances:
        assert wait_until(lambda: front.idle(inst)), inst.log()
    assert gemini(front.hg, "gemini://localhost/page.gmi")[0] == PAGE
    for inst in front.instances:
        log = inst.log()
        assert " warn" not in log, log


def test_requests_go_on_when_one_instance_stops(front):
    f = front
    assert gemini(f.hg, "gemini://localhost/page.gmi")[0] == PAGE
    assert f.instances[0].stop() == 0
    t0 = time.monotonic()
    for _ in range(10):
        assert gemini(f.hg, "gemini://localhost/page.gmi")[0] == PAGE
        assert gopher(f.hp, b"/hello.txt\r\n") == b"hello, world\n"
    assert time.monotonic() - t0 < 15
    log = f.instances[1].log()
    assert log.count(f' {CLIENT} gopher localhost "/hello.txt" 0 13 ') >= 10
