"""The office capsule (capsule/) served: its pages as Gopher menus keep every
sentence of the source and fit in 67 columns.  The pages as files are checked
by tests/content/test_content.py, which starts no server."""
import pathlib
import socket
import sys

from conftest import read_all

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]
                       / "content"))
from officekit import (CAPSULE, GOPHER_WIDTH, SENTENCES,  # noqa: E402
                       capsule_pages, collapse, display_width)


def gopher_menu(port, selector):
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(selector.encode() + b"\r\n")
        return read_all(s)


def test_gopher_menus_keep_every_sentence_within_67_columns(server):
    s = server(capsule=CAPSULE)
    shown_all = []
    for name in capsule_pages():
        data = gopher_menu(s.gopher_port, "/" + name).decode("utf-8")
        assert data.endswith(".\r\n")
        rows = []
        for line in data[:-3].split("\r\n")[:-1]:
            fields = line.split("\t")
            assert len(fields) == 4, line
            display = fields[0][1:]
            assert display_width(display) <= GOPHER_WIDTH, (name, display)
            if line.startswith("i"):
                rows.append(display)
        shown_all.append(collapse(" ".join(rows)))
    everything = "\n".join(shown_all)
    for sentence in SENTENCES:
        if sentence.endswith("."):
            assert collapse(sentence) in everything, sentence
