"""The office capsule's content (issue 4, "Content").

Checks that capsule/ carries the whole source page (tests/data/office-page.txt,
a copy of ../shared/content/office-page.txt) word for word, each sentence once,
without the web page's leftovers and without invented text, and that every
page is well-formed gemtext that also reads well as a Gopher menu (DESIGN.md
section 5: preformatted lines are never wrapped, so they must fit in 67
columns).

Self-contained: standard library, pytest and officekit only; no conftest, no
server (`make content`, a pass of `make test` of its own).  The same pages
served as Gopher menus: tests/integration/test_content_served.py.
"""

import re
import unicodedata

import pytest

from officekit import (CAPSULE, GOPHER_WIDTH, LAST_MODIFIED, REPO,
                       SENTENCES, capsule_pages, collapse, display_width)

SOURCE = REPO / "tests" / "data" / "office-page.txt"
SHARED_SOURCE = REPO.parent / "shared" / "content" / "office-page.txt"

LEFTOVERS = ("JPEG", "}}", "[fr]", "top of the page")


# Text that is not from the source: link labels, headings of pages that the
# source has no title for, short introductions, the contact labels, and the
# organisation chart's alt text and list (noun phrases taken from the text).
# Anything else in the capsule must be a source sentence: nothing invented.
CONNECTIVE = {
    # index.gmi
    "This is the Office of Homeland Security (OHS) at the Embassy of France "
    "in Ottawa, the office of France’s Homeland Security Attaché (HSA).",
    "Contact",
    "Address:",
    "Telephone:",
    "Fax:",
    # link labels
    "Home",
    "The Homeland Security Attaché",
    "The office’s missions",
    "The office in Ottawa",
    "The Directorate for International Cooperation",
    "The organization chart",
    # organisation.gmi
    "Organization chart of the Office of Homeland Security in Ottawa",
    "How the office in Ottawa fits into France’s network of Homeland Security "
    "Attachés, drawn only from what the other pages of this capsule say.",
    "Organization chart: the DCI, its network of attachés, the Ottawa office "
    "(attaché and deputy) and the kinds of seconded personnel",
    "The same chart as a list:",
    "Directorate for International Cooperation (DCI): a joint initiative "
    "between France’s national gendarmerie and police force",
    "Its network of Homeland Security Attachés (HSA): 250 police officers and "
    "gendarmes in 92 embassies across 156 countries",
    "In that network, the Ottawa OHS, located within the Embassy of France",
    "In the Ottawa OHS, the HSA: a colonel in France’s Gendarmerie nationale",
    "Also in the Ottawa OHS, the Deputy HSA: a major in the Gendarmerie "
    "nationale",
    "Kinds of seconded personnel an HSA may also have: liaison officers, "
    "international technical experts, cooperants from France’s national "
    "police or gendarmerie",
}

# Page -> (level-1 heading, level-2 headings in order).
PAGES = {
    "index.gmi": (
        "Office of Homeland Security attaché",
        ["Contact", "Office of Homeland Security"],
    ),
    "attache.gmi": ("The Homeland Security Attaché (HSA)", []),
    "missions.gmi": ("The Office of Homeland Security’s missions", []),
    "ottawa.gmi": ("The Office of Homeland Security (OHS) in Ottawa", []),
    "dci.gmi": (
        "The Directorate for International Cooperation (DCI)",
        [
            "An international response to a range of challenges in a "
            "changing world",
            "The mission: coordination and organization",
            "The goal: coherence and efficiency",
        ],
    ),
    "organisation.gmi": (
        "Organization chart of the Office of Homeland Security in Ottawa",
        [],
    ),
}
CHART_PAGE = "organisation.gmi"


# ---------------------------------------------------------------- helpers


def source_sentences(raw):
    """The source's sentences, with the web page's leftovers dropped."""
    out = []
    for line in raw.splitlines():
        line = line.strip()
        if line == "top of the page":
            continue
        line = re.sub(r"^JPEG\s+", "", line)  # icon placeholders
        line = re.sub(r"^-\s+", "", line)  # list bullet (with a NBSP)
        line = line.replace("[fr]", "").replace("}}", "").strip()
        if line:
            out.extend(re.split(r"(?<=\.)\s+(?=[A-Z])", line))
    return out


def read_page(name):
    return (CAPSULE / name).read_bytes().decode("utf-8")


def parse(text):
    """Gemtext lines as (line number, kind, value) tuples.

    kind is one of: blank, text, link (value = (target, label)), heading
    (value = (level, text)), item, quote, fence (value = alt text or ""),
    pre (value = the verbatim line).  An unclosed block ends with kind
    "unclosed".
    """
    out = []
    in_pre = False
    for n, line in enumerate(text.split("\n")[:-1] if text.endswith("\n")
                             else text.split("\n"), start=1):
        if line.startswith("```"):
            out.append((n, "fence", line[3:].strip() if not in_pre else ""))
            in_pre = not in_pre
        elif in_pre:
            out.append((n, "pre", line))
        elif line.startswith("=>"):
            parts = line[2:].strip().split(None, 1)
            target = parts[0] if parts else ""
            label = collapse(parts[1]) if len(parts) > 1 else ""
            out.append((n, "link", (target, label)))
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append((n, "heading", (min(level, 3),
                                       collapse(line.lstrip("#")))))
        elif line.startswith("* "):
            out.append((n, "item", collapse(line[2:])))
        elif line.startswith(">"):
            out.append((n, "quote", collapse(line[1:])))
        elif line.strip():
            out.append((n, "text", collapse(line)))
        else:
            out.append((n, "blank", ""))
    if in_pre:
        out.append((len(text.split("\n")), "unclosed", ""))
    return out


KNOWN = sorted(set(SENTENCES) | CONNECTIVE, key=len, reverse=True)


def split_known(text):
    """Cut text into known pieces (source sentences and connective text).

    Returns (pieces, rest): rest is the first part that is neither.
    """
    pieces = []
    i = 0
    while i < len(text):
        for k in KNOWN:
            end = i + len(k)
            if text.startswith(k, i) and (end == len(text)
                                          or text[end].isspace()):
                pieces.append(k)
                i = end
                while i < len(text) and text[i].isspace():
                    i += 1
                break
        else:
            return pieces, text[i:]
    return pieces, ""


def prose_units(name):
    """(line, kind, text) for every piece of reader-visible prose of a page."""
    units = []
    for n, kind, value in parse(read_page(name)):
        if kind == "link":
            if value[1]:
                units.append((n, kind, value[1]))
        elif kind == "heading":
            units.append((n, kind, value[1]))
        elif kind == "fence" and value:
            units.append((n, "alt", value))
        elif kind in ("text", "item", "quote"):
            units.append((n, kind, value))
    return units


def all_pieces():
    """(page, line, kind, piece) for every known piece in the capsule."""
    out = []
    for name in capsule_pages():
        for n, kind, text in prose_units(name):
            pieces, _ = split_known(text)
            out.extend((name, n, kind, p) for p in pieces)
    return out


# ----------------------------------------------------------------- source


def test_source_copy_matches_shared_source():
    if not SHARED_SOURCE.exists():
        pytest.skip("../shared is not there (fresh clone)")
    assert SOURCE.read_bytes() == SHARED_SOURCE.read_bytes()


def test_expected_sentences_are_the_source():
    raw = SOURCE.read_text(encoding="utf-8")
    assert raw.count("JPEG") == 3
    assert source_sentences(raw) == SENTENCES
    assert len(SENTENCES) == len(set(SENTENCES)) == 36


def test_connective_text_is_not_source_text():
    assert not CONNECTIVE & set(SENTENCES)


# ---------------------------------------------------------- completeness


def test_capsule_has_the_expected_pages():
    assert capsule_pages() == sorted(PAGES)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_every_sentence_appears_exactly_once(sentence):
    where = [(page, n) for page, n, _, piece in all_pieces()
             if piece == sentence]
    assert len(where) == 1, (sentence, where)
    if sentence.endswith("."):
        # Also word for word in the whole text, wherever it is (a full
        # sentence must not be repeated inside other text either).
        total = sum(collapse(read_page(name)).count(sentence)
                    for name in capsule_pages())
        assert total == 1, sentence


def test_nothing_invented():
    for name in capsule_pages():
        for n, kind, text in prose_units(name):
            _, rest = split_known(text)
            assert rest == "", f"{name}:{n}: unknown {kind} text: {rest!r}"


def test_no_web_leftovers():
    for name in capsule_pages():
        text = read_page(name)
        for leftover in LEFTOVERS:
            assert leftover not in text, (name, leftover)
        assert "\u00a0" not in text, name
        assert not re.search(r"^-\s", text, re.M), name


def test_contact_block_says_what_each_number_is():
    lines = read_page("index.gmi").split("\n")
    for line in ("Address: 42, Sussex Drive, Ottawa, Ontario, K1M 2C9",
                 "Telephone: 1 613-562-3788",
                 "Fax: 1 613 562 3785"):
        assert lines.count(line) == 1, line


def test_last_modified_once_on_home_page():
    counts = {name: read_page(name).count(LAST_MODIFIED)
              for name in capsule_pages()}
    assert counts["index.gmi"] == 1
    assert sum(counts.values()) == 1


@pytest.mark.parametrize("name", sorted(PAGES))
def test_source_order_kept_within_page(name):
    # Headings and paragraphs keep the source's order (link labels are
    # navigation and may be placed where they help).
    order = [SENTENCES.index(p) for page, _, kind, p in all_pieces()
             if page == name and kind in ("heading", "text")
             and p in SENTENCES]
    assert order == sorted(order), name


@pytest.mark.parametrize("name", sorted(PAGES))
def test_paragraphs_are_short(name):
    for n, kind, text in prose_units(name):
        if kind == "text":
            pieces, _ = split_known(text)
            count = sum(1 for p in pieces if p in SENTENCES)
            assert count <= 3, f"{name}:{n}: {count} sentences"


# ---------------------------------------------------------------- format


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_is_clean_utf8_text(name):
    data = (CAPSULE / name).read_bytes()
    text = data.decode("utf-8")  # raises if not valid UTF-8
    assert not data.startswith(b"\xef\xbb\xbf"), "BOM"
    assert b"\r" not in data
    assert b"\t" not in data
    assert data.endswith(b"\n") and not data.endswith(b"\n\n")
    for n, line in enumerate(text.split("\n"), start=1):
        assert line == line.rstrip(), f"{name}:{n}: trailing whitespace"
        assert not any(unicodedata.category(c) == "Cc" for c in line), \
            f"{name}:{n}: control character"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_headings(name):
    h1, h2 = PAGES[name]
    lines = parse(read_page(name))
    headings = [v for _, kind, v in lines if kind == "heading"]
    assert [t for level, t in headings if level == 1] == [h1]
    assert [t for level, t in headings if level == 2] == h2
    assert lines[0][1:] == ("heading", (1, h1)), "page starts with its title"
    raw = read_page(name).split("\n")
    assert raw.count("# " + h1) == 1
    for h in h2:
        assert raw.count("## " + h) == 1


@pytest.mark.parametrize("name", sorted(PAGES))
def test_preformatted_blocks_closed_and_narrow(name):
    for n, kind, value in parse(read_page(name)):
        assert kind != "unclosed", f"{name}: preformatted block not closed"
        if kind == "pre":
            width = display_width(value)
            assert width <= GOPHER_WIDTH, f"{name}:{n}: {width} columns"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_links_are_relative_and_resolve(name):
    for n, kind, value in parse(read_page(name)):
        if kind != "link":
            continue
        target, label = value
        assert target, f"{name}:{n}: link without target"
        assert label, f"{name}:{n}: link without label"
        assert not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target), \
            f"{name}:{n}: not a relative link: {target}"
        assert not target.startswith("/"), f"{name}:{n}: absolute path"
        path = (CAPSULE / re.split(r"[?#]", target)[0]).resolve()
        assert path.is_relative_to(CAPSULE.resolve()), f"{name}:{n}"
        assert path.is_file(), f"{name}:{n}: missing {target}"


def link_targets(name):
    return [v[0] for _, kind, v in parse(read_page(name)) if kind == "link"]


@pytest.mark.parametrize("name", sorted(set(PAGES) - {"index.gmi"}))
def test_page_links_home(name):
    assert "index.gmi" in link_targets(name)


def test_home_page_links_to_every_page():
    targets = link_targets("index.gmi")
    for name in PAGES:
        if name != "index.gmi":
            assert name in targets, name
    lines = read_page("index.gmi").split("\n")
    assert lines.count(f"=> {CHART_PAGE} Organization Chart") == 1


def test_related_pages_link_each_other():
    assert "missions.gmi" in link_targets("attache.gmi")
    assert CHART_PAGE in link_targets("ottawa.gmi")
    assert CHART_PAGE in link_targets("dci.gmi")


def test_chart_is_a_diagram_with_alt_text_and_a_text_version():
    lines = parse(read_page(CHART_PAGE))
    fences = [(n, v) for n, kind, v in lines if kind == "fence"]
    assert len(fences) == 2, "one preformatted block"
    assert fences[0][1], "the diagram has alt text"
    diagram = "\n".join(v for _, kind, v in lines if kind == "pre")
    for phrase in ("Directorate for International Cooperation (DCI)",
                   "Network of Homeland Security Attachés (HSA)",
                   "250 police officers and gendarmes",
                   "Office of Homeland Security (OHS) in Ottawa",
                   "Homeland Security Attaché (HSA)",
                   "colonel, Gendarmerie nationale",
                   "Deputy HSA",
                   "major, Gendarmerie nationale",
                   "liaison officers",
                   "international technical experts",
                   "cooperants from France’s national police"):
        assert phrase in diagram, phrase
    # The same structure as text, after the diagram, for screen readers.
    items = [v for n, kind, v in lines if kind == "item" and n > fences[1][0]]
    listed = " ".join(items)
    for phrase in ("Directorate for International Cooperation (DCI)",
                   "network of Homeland Security Attachés (HSA)",
                   "Ottawa OHS",
                   "a colonel in France’s Gendarmerie nationale",
                   "the Deputy HSA: a major in the Gendarmerie nationale",
                   "liaison officers", "international technical experts",
                   "cooperants from France’s national police or gendarmerie"):
        assert phrase in listed, phrase


def test_pages_are_served_with_lang_en_by_make_run():
    makefile = (REPO / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:"):]
    run = run[:run.index("\n\n")]
    assert "./attache -f attache.conf.example" in run
    example = (REPO / "attache.conf.example").read_text()
    assert "\n\tlang \"en\"\n" in example
