"""Helpers for the client certificate and Titan tests: identities made
with the openssl command (expired and not yet valid ones with `openssl ca`,
since -days cannot go back in time), their fingerprints, and a small Titan
client on Python's ssl module."""
import hashlib
import pathlib
import socket
import ssl
import subprocess
import time

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
          token=None, size=None, chunk=None, pause=0.0, stop_after=None):
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
            if pause:
                time.sleep(pause)
        if stop_after is not None:
            return None
        return read_response(s)
