#!/usr/bin/python3
"""A FastCGI responder written with the standard library only, for the
tests (and as the guide's example, docs/fastcgi.md): it answers each
request with a Gemini response chosen by the request's path.

    fcgi_responder.py tcp 127.0.0.1 9000
    fcgi_responder.py unix /run/app.sock

Paths (SCRIPT_NAME, the request's decoded path):
    .../env        20 text/gemini: the parameters, one "NAME=value" a line
    .../hello      20 text/gemini: "# Hello"
    .../echo       20 text/plain: the protocol, CONTENT_LENGTH and
                   CONTENT_TYPE on a line, then the standard input
    .../slow       "# Slow" after a second and a half
    .../menu       20 text/gemini: a page with a link, for Gopher menus
    .../big        20 application/octet-stream: QUERY_STRING bytes (a
                   number), in pieces of 64 KiB, each byte its offset % 251
    .../stderr     three lines on STDERR, then 20 and a body
    .../flood      1000 lines on STDERR, then 20
    .../malformed  a record of version 2
    .../badlen     an END_REQUEST of length 9
    .../close      closes the connection at once, nothing sent
    .../closebody  a header and a line of body, then closes
    .../stall      sends nothing, keeps the connection open
    .../stallbody  a header and a line of body, then nothing
    .../overload   END_REQUEST with protocol status FCGI_OVERLOADED
    .../badheader  "hello" as a header: no Gemini header
"""
import os
import socket
import struct
import sys
import threading
import time

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS = 1, 3, 4
FCGI_STDIN, FCGI_STDOUT, FCGI_STDERR = 5, 6, 7


def read_exact(conn, n):
    buf = bytearray()
    while len(buf) < n:
        b = conn.recv(n - len(buf))
        if not b:
            raise EOFError
        buf += b
    return bytes(buf)


def read_record(conn):
    version, rtype, rid, clen, plen, _ = struct.unpack(
        "!BBHHBB", read_exact(conn, 8))
    content = read_exact(conn, clen)
    read_exact(conn, plen)
    return rtype, rid, content


def pair_len(data, i):
    if data[i] < 128:
        return data[i], i + 1
    return struct.unpack("!I", data[i:i + 4])[0] & 0x7fffffff, i + 4


def parse_params(data):
    params, i = {}, 0
    while i < len(data):
        nl, i = pair_len(data, i)
        vl, i = pair_len(data, i)
        name = data[i:i + nl].decode("latin-1")
        params[name] = data[i + nl:i + nl + vl].decode("latin-1")
        i += nl + vl
    return params


def record(rtype, rid, content=b""):
    return struct.pack("!BBHHBB", 1, rtype, rid, len(content), 0, 0) + content


def stream(conn, rtype, rid, data):
    for i in range(0, len(data), 65535):
        conn.sendall(record(rtype, rid, data[i:i + 65535]))


def end(conn, rid, app=0, proto=0):
    conn.sendall(record(FCGI_END_REQUEST, rid,
                        struct.pack("!IB3x", app, proto)))


def answer(conn, rid, params, stdin):
    path = params.get("SCRIPT_NAME", "")
    what = path.rsplit("/", 1)[-1]
    out = lambda b: stream(conn, FCGI_STDOUT, rid, b)
    if what == "env":
        body = "".join(f"{k}={v}\n" for k, v in sorted(params.items()))
        out(b"20 text/gemini\r\n" + body.encode("latin-1"))
    elif what == "echo":
        out(b"20 text/plain\r\n" + ("%s %s %s\n" % (
            params.get("SERVER_PROTOCOL"), params.get("CONTENT_LENGTH"),
            params.get("CONTENT_TYPE"))).encode() + bytes(stdin))
    elif what == "hello":
        out(b"20 text/gemini\r\n# Hello\n")
    elif what == "slow":
        time.sleep(1.5)
        out(b"20 text/gemini\r\n# Slow\n")
    elif what == "menu":
        out(b"20 text/gemini\r\n# Menu\nSome text.\n=> /index.gmi Home\n")
    elif what == "big":
        size = int(params.get("QUERY_STRING") or "0")
        out(b"20 application/octet-stream\r\n")
        pattern = bytes(i % 251 for i in range(251 * 262))
        sent = 0
        while sent < size:
            n = min(65536, size - sent)
            start = sent % 251
            out(pattern[start:start + n] if start + n <= len(pattern)
                else bytes((sent + i) % 251 for i in range(n)))
            sent += n
    elif what == "stderr":
        stream(conn, FCGI_STDERR, rid, b"first line\nsecond \x1b[31mline\n")
        stream(conn, FCGI_STDERR, rid, b"third, no end")
        out(b"20 text/plain\r\nok\n")
    elif what == "flood":
        stream(conn, FCGI_STDERR, rid,
               b"".join(b"flood %d\n" % i for i in range(1000)))
        out(b"20 text/plain\r\nflooded\n")
    elif what == "malformed":
        conn.sendall(b"\x02\x06\x00\x01\x00\x01\x00\x00x")
        return
    elif what == "badlen":
        conn.sendall(record(FCGI_END_REQUEST, rid, b"\0" * 9))
        return
    elif what == "close":
        return
    elif what == "closebody":
        out(b"20 text/plain\r\nfirst line\n")
        return
    elif what in ("stall", "stallbody"):
        if what == "stallbody":
            out(b"20 text/plain\r\nfirst line\n")
        # Until the server gives up: it closes the connection.
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass
        return
    elif what == "overload":
        end(conn, rid, 0, 2)
        return
    elif what == "badheader":
        out(b"hello\r\n")
    else:
        out(b"51 Not found\r\n")
    stream(conn, FCGI_STDOUT, rid, b"")
    end(conn, rid)


def serve(conn):
    with conn:
        try:
            params_data, stdin, rid = bytearray(), bytearray(), 0
            while True:
                rtype, rid, content = read_record(conn)
                if rtype == FCGI_PARAMS:
                    params_data += content
                elif rtype == FCGI_STDIN:
                    if not content:
                        break
                    stdin += content
            answer(conn, rid, parse_params(bytes(params_data)), stdin)
        except (EOFError, OSError):
            pass


def main():
    kind, where = sys.argv[1], sys.argv[2]
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(where):
            os.unlink(where)
        s.bind(where)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((where, int(sys.argv[3])))
    s.listen(64)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
