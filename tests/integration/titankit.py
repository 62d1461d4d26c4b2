"""Helpers for the client certificate and Titan tests: identities made
with the openssl command (expired and not yet valid ones with `openssl ca`,
since -days cannot go back in time), their fingerprints, and a small Titan
client on Python's ssl module."""
import hashlib
import pathlib
import socket
import ssl
import subprocess

from conftest import client_context

CA_CONF = """[ca]
default_ca = selfsigned
[selfsigned]
database = {db}/index.txt
new_certs_dir = {db}
serial = {db}/serial
default_md = sha256
policy = policy
unique_subject = no
[policy]
commonName = supplied
"""


def identity(dirpath: pathlib.Path, name: str, start=None, end=None):
    """A self-signed client certificate and key, as Lagrange makes them;
    start/end (YYYYMMDDHHMMSSZ) give other dates.  Returns (crt, key)."""
    dirpath.mkdir(parents=True, exist_ok=True)
    crt, key = dirpath / f"{name}.crt", dirpath / f"{name}.key"
    if start is None:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", str(key), "-out", str(crt), "-days", "30",
                        "-subj", f"/CN={name}"],
                       check=True, capture_output=True)
        return crt, key
    csr = dirpath / f"{name}.csr"
    db = dirpath / f"{name}-ca"
    db.mkdir()
    (db / "index.txt").write_text("")
    (db / "serial").write_text("01\n")
    conf = dirpath / f"{name}-ca.cnf"
    conf.write_text(CA_CONF.format(db=db))
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
                    "-out", str(csr), "-subj", f"/CN={name}"],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "ca", "-batch", "-config", str(conf),
                    "-selfsign", "-keyfile", str(key), "-in", str(csr),
                    "-out", str(crt), "-startdate", start, "-enddate", end,
                    "-notext"], check=True, capture_output=True)
    return crt, key


def fingerprint(crt) -> str:
    """sha256:HEX of the DER certificate, as Lagrange and gmid show it."""
    der = ssl.PEM_cert_to_DER_cert(pathlib.Path(crt).read_text())
    return "sha256:" + hashlib.sha256(der).hexdigest()


def context(ident=None):
    ctx = client_context()
    if ident is not None:
        ctx.load_cert_chain(str(ident[0]), str(ident[1]))
    return ctx


def connect(port, sni="localhost", ident=None, ctx=None, timeout=15,
            session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return (ctx or context(ident)).wrap_socket(
        raw, server_hostname=sni, suppress_ragged_eofs=False,
        session=session)


def read_response(s):
    out = bytearray()
    while True:
        try:
            b = s.recv(65536)
        except (ssl.SSLEOFError, ConnectionResetError):
            break
        if not b:
            break
        out += b
    header, _, body = bytes(out).partition(b"\r\n")
    return header.decode("utf-8", "replace"), body


def gemini(port, url, ident=None, sni="localhost", ctx=None, session=None):
    """(header, body, reused) of a Gemini request, with a certificate."""
    with connect(port, sni, ident, ctx, session=session) as s:
        s.sendall(url.encode() + b"\r\n")
        header, body = read_response(s)
        return header, body, s.session_reused, s.session


def titan(port, url, body: bytes, ident=None, sni="localhost", mime=None,
          token=None, size=None, chunk=None, stop_after=None):
    """Uploads body to url (titan://...) the way Lagrange and gmid's titan
    do: the parameters, CRLF, the bytes.  size overrides the size sent;
    stop_after closes the connection after that many body bytes."""
    params = f";size={len(body) if size is None else size}"
    if mime is not None:
        params += f";mime={mime}"
    if token is not None:
        params += f";token={token}"
    with connect(port, sni, ident) as s:
        s.sendall((url + params).encode() + b"\r\n")
        data = body if stop_after is None else body[:stop_after]
        step = chunk or len(data) or 1
        for i in range(0, len(data), step):
            s.sendall(data[i:i + step])
        if stop_after is not None:
            return None
        return read_response(s)


OFFICE = {
    "index.gmi": "# Office\n\n=> page.gmi A page\n=> staff/ Staff room\n"
                 "=> board/minutes.gmi Minutes\n=> /staff Staff again\n",
    "page.gmi": "# A page\n",
    "staff/index.gmi": "# Staff room\n",
    "staff/rota.txt": "rota\n",
    "board/minutes.gmi": "# Minutes\n",
    "open/a.txt": "a\n",
    "open/staff-notes/x.txt": "x\n",
    "list/page.txt": "p\n",
    "list/staff/x.txt": "x\n",
}


class Office:
    """A capsule with protected zones, its identities and configuration."""

    def __init__(self, tmp_path):
        from sitekit import write_tree
        from conftest import free_port
        self.tmp = tmp_path
        self.capsule = tmp_path / "office"
        write_tree(self.capsule, OFFICE)
        self.certs = tmp_path / "certs"
        ids = tmp_path / "ids"
        self.alice = identity(ids, "alice")
        self.bob = identity(ids, "bob")
        self.expired = identity(ids, "expired", "20200101000000Z",
                                "20200201000000Z")
        self.future = identity(ids, "future", "20990101000000Z",
                               "20990201000000Z")
        self.gemini = free_port()
        self.gopher = free_port()
        self.board = tmp_path / "board.txt"
        self.board.write_text(f"# the board\n{fingerprint(self.alice[0])} "
                              "alice\n")

    def text(self, site_extra="", loc_extra=""):
        return f"""listen "127.0.0.1"
gemini-port {self.gemini}
workers 2
site "localhost" {{
    capsule "{self.capsule}"
    certs "{self.certs}"
    lang none
    gopher-port {self.gopher}
    location "/staff/*" {{ require-certificate }}
    location "/list/staff/*" {{ require-certificate }}
    location "/board/*" {{
        allow-certificates "{self.board}"
        allow-certificate "{fingerprint(self.expired[0])}"
    }}
{loc_extra}
{site_extra}
}}
"""

    def url(self, path):
        return f"gemini://localhost:{self.gemini}{path}"


class Uploads:
    """Three sites for the Titan tests: localhost (uploads, deletes,
    history 2), small.test (100 bytes at most, no deletes) and plain.test
    (no Titan)."""

    def __init__(self, tmp_path):
        from sitekit import write_tree
        from conftest import free_port
        self.tmp = tmp_path
        self.capsule = tmp_path / "capsule"
        self.small = tmp_path / "small"
        self.plain = tmp_path / "plain"
        self.certs = tmp_path / "certs"
        self.certs.mkdir()
        outside = tmp_path / "outside"
        write_tree(outside, {"secret.txt": "secret\n"})
        write_tree(self.capsule, {"index.gmi": "# Home\n",
                                  "page.gmi": "# Old page\n",
                                  "dir/old.gmi": "# Old\n",
                                  "notes.txt": "notes\n"})
        (self.capsule / "keys").symlink_to(self.certs)
        (self.capsule / "outlink.txt").symlink_to(outside / "secret.txt")
        (self.capsule / "inlink.gmi").symlink_to("page.gmi")
        write_tree(self.small, {"index.gmi": "# Small\n", "keep.gmi": "# K\n"})
        write_tree(self.plain, {"index.gmi": "# Plain\n"})
        ids = tmp_path / "ids"
        self.alice = identity(ids, "alice")
        self.bob = identity(ids, "bob")
        self.carol = identity(ids, "carol")
        self.expired = identity(ids, "expired", "20200101000000Z",
                                "20200201000000Z")
        self.operators = tmp_path / "operators.txt"
        self.operators.write_text(f"{fingerprint(self.carol[0])} carol\n"
                                  f"{fingerprint(self.expired[0])}\n")
        self.gemini = free_port()
        self.gopher = free_port()

    def text(self):
        alice = fingerprint(self.alice[0])
        return f"""listen "127.0.0.1"
gemini-port {self.gemini}
workers 2
certs "{self.certs}"
lang none
site "localhost" {{
    capsule "{self.capsule}"
    gopher-port {self.gopher}
    titan on
    titan-operator "{alice}"
    titan-operator "{self.operators}"
    titan-max-size 1M
    titan-delete on
    titan-history 2
}}
site "small.test" {{
    capsule "{self.small}"
    titan on
    titan-operator "{alice}"
    titan-max-size 100
}}
site "plain.test" {{ capsule "{self.plain}" }}
"""

    def url(self, path, host="localhost"):
        return f"titan://{host}:{self.gemini}{path}"

    def upload(self, path, body, ident="alice", host="localhost", **kw):
        if isinstance(ident, str):
            ident = getattr(self, ident)
        return titan(self.gemini, self.url(path, host), body, ident,
                     sni=host, **kw)

    def history(self, rel=""):
        d = self.capsule / ".titan-history" / rel
        return sorted(p.name for p in d.iterdir()) if d.exists() else []

    def temporaries(self):
        return sorted(str(p) for p in self.capsule.rglob(".titan-upload-*"))
