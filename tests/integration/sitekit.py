"""Helpers for the configuration-file tests: two sites' capsules, their
configuration, certificates made with the openssl command, and what a
client sees of a certificate."""
import pathlib
import socket
import ssl
import subprocess

from conftest import client_context, free_ports, read_all


def write_tree(root: pathlib.Path, files: dict):
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


OFFICE_FILES = {
    "index.gmi": "# Office\n\n=> page.gmi A page\n",
    "page.gmi": "# Office page\n",
    "news/index.gmi": "# News\n",
    "old-news/a.gmi": "# Old news\n",
    "drafts/d.gmi": "# Draft\n",
    "fr/index.gmi": "# Bonjour\n",
    "fr/page.gmi": "# Page\n",
    "nolist/a.txt": "a\n",
}

LAB_FILES = {
    "index.gmi": "# Lab\n",
    "lab-only.gmi": "# Only in the lab\n",
    "nolist/b.txt": "b\n",
}


class TwoSites:
    """Two capsules, free ports and the configuration that serves them."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.office = tmp_path / "office"
        self.lab = tmp_path / "lab"
        write_tree(self.office, OFFICE_FILES)
        write_tree(self.lab, LAB_FILES)
        self.certs = tmp_path / "certs"
        self.gemini, self.gopher_office, self.gopher_lab = free_ports(3)

    def text(self, office_extra="", lab_extra="", glob=""):
        return f"""# two sites
listen "127.0.0.1"
gemini-port {self.gemini}
workers 2
{glob}
site "office.test" {{
    alias "www.office.test"
    capsule "{self.office}"
    certs "{self.certs}"
    lang "en"
    gopher-port {self.gopher_office}
    listing off
    location "/old-news/*" {{ redirect "/news/" }}
    location "/moved/*" {{ redirect-temporary "gemini://lab.test/x.gmi" }}
    location "/drafts/*" {{ gone }}
    location "/fr/*" {{ lang "fr" }}
{office_extra}
}}
site "lab.test" {{ capsule "{self.lab}" certs "{self.certs}" gopher-port {self.gopher_lab} lang none }}
{lab_extra}
"""


def make_cert(certs: pathlib.Path, name: str, days=30, ca=None, out=None,
              is_ca=False):
    """A P-256 key and certificate for name (self-signed, or signed by ca,
    a (crt, key) pair); returns (crt, key) paths."""
    certs.mkdir(parents=True, exist_ok=True)
    crt = out[0] if out else certs / f"{name}.crt"
    key = out[1] if out else certs / f"{name}.key"
    ext = f"subjectAltName=DNS:{name}"
    if ca is None:
        # A self-signed root is a CA of its own (-x509 marks it so).
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", str(key), "-out", str(crt),
                        "-days", str(days), "-subj", f"/CN={name}",
                        "-addext", ext], check=True, capture_output=True)
        return crt, key
    csr = certs / f"{name}.csr"
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    str(key), "-out", str(csr), "-subj", f"/CN={name}"],
                   check=True, capture_output=True)
    extfile = certs / f"{name}.ext"
    extfile.write_text(ext + "\nbasicConstraints=critical,CA:TRUE\n"
                       if is_ca else ext + "\n")
    subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA",
                    str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial",
                    "-out", str(crt), "-days", str(days), "-extfile",
                    str(extfile)], check=True, capture_output=True)
    return crt, key


def pem_der(path):
    return ssl.PEM_cert_to_DER_cert(pathlib.Path(path).read_text())


def peer_der(port, sni):
    """The DER certificate the server shows for this SNI (None: no SNI)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=15)
    with client_context().wrap_socket(raw, server_hostname=sni) as s:
        return s.getpeercert(binary_form=True)


def cert_chain_count(port, sni):
    """How many certificates the server sends, as openssl s_client sees."""
    r = subprocess.run(["openssl", "s_client", "-connect",
                        f"127.0.0.1:{port}", "-servername", sni,
                        "-showcerts"], input=b"", capture_output=True,
                       timeout=30)
    return r.stdout.count(b"-----BEGIN CERTIFICATE-----")


def gopher_tls(port, request, sni="localhost"):
    """A Gopher request over TLS: the answer and the server's certificate
    (DER)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=15)
    with client_context().wrap_socket(raw, server_hostname=sni,
                                      suppress_ragged_eofs=False) as s:
        s.sendall(request)
        return read_all(s), s.getpeercert(binary_form=True)
