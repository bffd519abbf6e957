"""The fast front-matter paths give exactly what the plain regexes give.

``graph.reader._closing_fence`` replaces ``FM_BOUNDARY.search`` and
``graph.reader._has_tag`` replaces ``_TAG.search`` for speed; both are checked
against the regex they replace (the second method) on every real corpus file
and on crafted edge cases.
"""

from __future__ import annotations

import pytest

from graph import reader
from graph.frontmatter_formats import HANDLERS
from graph.reader import _TAG, _closing_fence, _has_tag, decode

YAML, TOML, JSON = HANDLERS

FENCE_CASES = [
    "---\ntitle: a\n---\nbody",
    "---\ntitle: a\n---",  # closing fence at the very end
    "---\ntitle: a\n---   \nbody",  # trailing spaces
    "---\ntitle: a\n----\nbody",  # longer fence
    "---\ntitle: a\n--- x\n---\nbody",  # not a fence, then a fence
    "---\ntitle: a\n---x\nbody",  # never closed
    "---\n---\n",  # empty front matter
    "---\n\n\n---\n",
    "---\ntitle: '---'\nx: |\n  ---\n---\n",  # dashes inside values and indented
    "---\ntitle: a\n-- -\n---\t\n",
    "---\ntitle: a\n---\u2003\nbody",  # Unicode space after the fence (\\s matches it)
    "---\ntitle: a\n\n---\n\n\nbody",
    "---\r\ntitle: a\r\n---\r\n",  # \r is white space for the regex too
    "+++\ntitle = 'a'\n+++\nbody",
    "+++\ntitle = 'a'\n++++ \n",
    "+++\ntitle = 'a'\n+++x\n",
]


@pytest.mark.parametrize("text", FENCE_CASES)
def test_closing_fence_matches_regex_on_crafted_text(text):
    handler = YAML if text.startswith("-") else TOML
    first = handler.FM_BOUNDARY.search(text)
    for pos in sorted({0, 1, 3, first.end(), len(text)}):
        expected = handler.FM_BOUNDARY.search(text, pos)
        got = _closing_fence(text, pos, "yaml" if handler is YAML else "toml")
        assert (got and got.span()) == (expected and expected.span()), (text, pos)


def test_closing_fence_matches_regex_on_every_corpus_file(corpus_dir):
    checked = 0
    for path in sorted(corpus_dir.rglob("*")):
        if path.suffix not in (".md", ".txt", ".yaml"):
            continue
        text = decode(path.read_bytes(), str(path), [])
        for handler in (YAML, TOML):
            first = handler.FM_BOUNDARY.search(text)
            if first is None:
                continue
            expected = handler.FM_BOUNDARY.search(text, first.end())
            got = _closing_fence(text, first.end(), "yaml" if handler is YAML else "toml")
            assert (got and got.span()) == (expected and expected.span()), path
            checked += 1
    assert checked > 3700  # every article file of the corpus


TAG_CASES = ["", "!", "a!", "a !b", "x: !!python/object:os.system", "[!x]", "{!x}", "a,!b", "a:!b",
             "- !x", "wow!!", "say \"hi!\"", "a\u2003!x", "a\u00a0!x", "a\n!x", "end!", "a.!b", "é!"]


@pytest.mark.parametrize("text", TAG_CASES)
def test_has_tag_matches_regex_on_crafted_text(text):
    assert _has_tag(text) == bool(_TAG.search(text))


def test_has_tag_matches_regex_on_every_corpus_front_matter(corpus_dir):
    seen = {True: 0, False: 0}
    for path in sorted(corpus_dir.rglob("*.md")):
        fm = reader.split_front_matter(decode(path.read_bytes(), str(path), []), str(path))
        if fm is None:
            continue
        expected = bool(_TAG.search(fm.text))
        assert _has_tag(fm.text) == expected, path
        # Excerpts are full of "!", most not tags: exercise both answers.
        seen[expected] += 1
        if "!" in fm.text:
            for cut in range(0, len(fm.text), 997):
                piece = fm.text[cut:cut + 1500]
                assert _has_tag(piece) == bool(_TAG.search(piece)), path
    assert seen[False] > 3000


# --------------------------------------------------------------------------
# Related items loaded one by one (graph.reader.cut_related): the second
# method is the whole-document loader.
# --------------------------------------------------------------------------

import yaml_rs  # noqa: E402

from graph import model  # noqa: E402
from graph.reader import _load_cut, cut_related, read_file  # noqa: E402

HEAD = 'title: "T"\nwebUrl: "https://news.example/a"\nprovider:\n  name: P\n  domain: p.example\n'
STUB = '  - title: "S{n}"\n    webUrl: "https://other.example/{n}"\n    provider:\n      name: Q\n      domain: q.example\n'

CUT_CASES = {
    "plain": HEAD + "related:\n" + STUB.format(n=1) + STUB.format(n=2) + "heat: 3\n",
    "last key": HEAD + "related:\n" + STUB.format(n=1) + STUB.format(n=1),
    "not indented": HEAD + "related:\n- title: S\n  webUrl: https://o.example/1\n- title: R\n  webUrl: https://o.example/2\nheat: 1\n",
    "comments and blank lines": HEAD + "related:\n" + STUB.format(n=1) + "\n# a note\n  # another\n\n" + STUB.format(n=2) + "\nheat: 3\n",
    "alias across the cut": "base: &b\n  name: Q\n  domain: q.example\n" + HEAD + "related:\n  - title: S\n    webUrl: https://o.example/1\n    provider: *b\n",
    "alias inside one item": HEAD + "related:\n  - title: &t S\n    excerpt: *t\n    webUrl: https://o.example/1\n",
    "duplicate key in an item": HEAD + "related:\n  - title: S\n    title: R\n    webUrl: https://o.example/1\n",
    "items that are not mappings": HEAD + "related:\n  - just text\n  -\n  - - nested\n" + STUB.format(n=1),
    "empty item between": HEAD + "related:\n  - \n" + STUB.format(n=1),
    "block scalar": HEAD + "related:\n  - title: S\n    excerpt: |\n      line one\n        - not an item\n      line three\n    webUrl: https://o.example/1\n",
    "multi-line quoted": HEAD + "related:\n  - title: \"S\n      continued\n  - still the title\"\n    webUrl: https://o.example/1\n",
    "quoted scalar back at column 0": HEAD + "related:\n  - title: \"S\nabc: def\"\n    webUrl: https://o.example/1\n",
    "related twice": HEAD + "related:\n" + STUB.format(n=1) + "related:\n" + STUB.format(n=2),
    "inline list": HEAD + "related: [{title: S, webUrl: 'https://o.example/1'}]\n",
    "null related": HEAD + "related:\nheat: 1\n",
    "tag in an item": HEAD + "related:\n  - title: !!str 5\n    webUrl: https://o.example/1\n",
    "quoted key after the block": HEAD + "related:\n" + STUB.format(n=1) + "'heat': 1\n",
    "tab-indented line": HEAD + "related:\n" + STUB.format(n=1) + "\tx: 1\n",
    "less indented line": HEAD + "related:\n" + STUB.format(n=1) + " x: 1\n",
    "flow mapping over lines": HEAD + "related:\n  - {title: S,\n     webUrl: 'https://o.example/1'}\n",
    "item with a bad date (warns)": HEAD + "related:\n  - title: S\n    webUrl: https://o.example/1\n    publishedDateTime: not a date\n",
    "types told apart": HEAD + "related:\n  - title: S\n    webUrl: https://o.example/1\n    quality: 1\n  - title: S\n    webUrl: https://o.example/1\n    quality: 1.0\n  - title: S\n    webUrl: https://o.example/1\n    quality: true\n",
    "related in a quoted value": 'title: "T\nrelated:\n  - x"\nwebUrl: https://news.example/a\n',
    "catalogue with related": "taxonomy: organization\nname: P\ndomain: p.example\nrelated:\n" + STUB.format(n=1),
}


def _read(path, cut: bool, monkeypatch) -> object:
    model._STUB_MEMO.clear()
    with monkeypatch.context() as m:
        if not cut:
            m.setattr(reader, "_load_cut", lambda text: None)
        return read_file(str(path))


@pytest.mark.parametrize("name", sorted(CUT_CASES))
def test_cut_related_reads_like_the_whole_document(name, tmp_path, monkeypatch):
    path = tmp_path / "a.md"
    path.write_text("---\n" + CUT_CASES[name] + "---\nbody\n", encoding="utf-8")
    whole = _read(path, False, monkeypatch)
    # Twice with the cut: the second read hits the stub memo by text.
    model._STUB_MEMO.clear()
    cut_first, cut_again = read_file(str(path)), read_file(str(path))
    assert cut_first == whole
    assert cut_again == whole


def test_cut_related_is_used_on_plain_blocks_only():
    assert _load_cut(CUT_CASES["plain"]) is not None
    assert _load_cut(CUT_CASES["not indented"]) is not None
    for name in ("alias across the cut", "related twice", "inline list", "null related", "tag in an item",
                 "quoted key after the block", "tab-indented line", "related in a quoted value"):
        assert _load_cut(CUT_CASES[name]) is None, name


def test_cut_related_matches_whole_loading_on_every_corpus_file(corpus_dir):
    """Items loaded one by one equal the whole document loaded at once
    (compared by ``repr``, which tells 1, 1.0 and True apart), and the cut is
    used on every file whose ``related`` block is a plain indented list."""
    cut = plain = 0
    for path in sorted(corpus_dir.rglob("*.md")):
        fm = reader.split_front_matter(decode(path.read_bytes(), str(path), []), str(path))
        if fm is None:
            continue
        plain += "\nrelated:\n  - " in fm.text
        data = _load_cut(fm.text)
        if data is None:
            continue
        cut += 1
        data["related"] = [yaml_rs.loads(item)[0] for item in data["related"]]
        assert repr(data) == repr(yaml_rs.loads(fm.text)), path
        assert len(cut_related(fm.text)[1]) == len(data["related"])
    assert cut == plain > 2400


KIND_CASES = [*FENCE_CASES, "", "---", "--", "-- -\n", " ---\nx: 1\n---\n", "----- \t\nx: 1\n-----\n",
              "+++\n", "{\n\"title\": \"a\"\n}\n", "{\"title\": \"a\"}\n", "}\n", "---x\n{\n}\n",
              "---\u2003\nx: 1\n---\n", "\ufeff---\nx: 1\n---\n", "---\r\nx: 1\r\n---\r\n"]


@pytest.mark.parametrize("text", KIND_CASES)
def test_front_matter_kind_is_python_frontmatters_choice(text):
    """``split_front_matter`` finds YAML without python-frontmatter's
    ``detect_format``; the format it finds is still the one that picks."""
    from graph.frontmatter_formats import KIND_OF, detect_format

    handler = detect_format(text)
    try:
        fm = reader.split_front_matter(text, "x.md")
    except reader.FrontMatterError:
        fm = "never closed"
    if handler is None:
        assert fm is None
    elif fm is not None and fm != "never closed":
        assert fm.kind == KIND_OF[type(handler)]
        assert fm.handler is handler


def test_yaml_fence_is_python_frontmatters():
    from frontmatter.default_handlers import YAMLHandler

    ours, theirs = reader.FENCES["yaml"][0], YAMLHandler.FM_BOUNDARY
    assert (ours.pattern, ours.flags) == (theirs.pattern, theirs.flags)
    assert TOML.FM_BOUNDARY is reader.FENCES["toml"][0]


def test_front_matter_kind_on_every_corpus_file(corpus_dir):
    from graph.frontmatter_formats import KIND_OF, detect_format

    checked = 0
    for path in sorted(corpus_dir.rglob("*")):
        if path.suffix not in (".md", ".txt"):
            continue
        text = decode(path.read_bytes(), str(path), [])
        fm = reader.split_front_matter(text, str(path))
        handler = detect_format(text)
        assert (fm and fm.kind) == (handler and KIND_OF[type(handler)]), path
        checked += fm is not None
    assert checked > 3700


# Which loader reads a file must never change what it says. A " !" anywhere (a French
# "Wow !") sends a file to PyYAML, whose YAML 1.1 read "title: yes" as True and
# "topics: [NO]" as False, where yaml_rs reads text.

_SIGNS = ("", "-", "+")
_BODIES = ("0", "1", "09", "010", "1_0", "_1", "1_", "0x1F", "0X1f", "0x_1", "0o7", "0O17", "0b101", "0B1", "1.",
           "0.5", ".5", "1e3", "1E+3", "1e-3", "1.5e3", "1e400", "1_000.5", "1:20", "12:30", "12:30:45",
           "190:20:30", ".inf", ".Inf", ".INF", ".nan", ".NaN", "inf", "nan", "0x", "0o8", "0b2", "1.2.3", "1,000")
_WORDS = ("yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "n", "true", "True",
          "TRUE", "false", "False", "FALSE", "tRUE", "null", "Null", "NULL", "~", "=", "2021-01-01",
          "2021-01-01T10:00:00Z", "2021-01-01 10:00:00 +1", "2021-1-1", "Norway", "SE", "_", "-x", "a b")
SCALARS = [s + b for s in _SIGNS for b in _BODIES] + list(_WORDS)


def _same(a, b) -> bool:
    """Equal, type included (1 and True and 1.0 are not one value here), NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b or (a != a and b != b)


@pytest.mark.parametrize("scalar", SCALARS)
def test_a_plain_scalar_means_the_same_whichever_loader_reads_it(scalar):
    """The fast loader (yaml_rs) is the independent reference: PyYAML, reached by
    a tag elsewhere in the text or by ``fast=False``, gives the same value, in a
    block, in a flow list and in a flow mapping."""
    import yaml_rs

    doc = f"k: {scalar}\nl: [{scalar}, x]\nm: {{a: {scalar}}}\n"
    expected = yaml_rs.loads(doc)
    for text, fast in ((doc, True), (doc, False), (doc + "e: !!str Wow !\n", True)):
        data = dict(reader.load_yaml(text, fast=fast)[0])
        data.pop("e", None)
        assert _same(data, expected), (scalar, text, fast, data, expected)


def test_a_merge_key_merges_on_every_path(tmp_path):
    """yaml_rs keeps ``<<`` as a key (the article had no title and was rejected);
    such a text goes to PyYAML, which merges, whatever else it holds."""
    import graph

    doc = "base: &b {title: Merged title, webUrl: 'https://example.org/m'}\n<<: *b\n"
    assert reader.load_yaml(doc)[0] == reader.load_yaml(doc, fast=False)[0] == {
        "base": {"title": "Merged title", "webUrl": "https://example.org/m"},
        "title": "Merged title", "webUrl": "https://example.org/m"}
    (tmp_path / "a.md").write_text(f"---\n{doc}---\n")
    assert [a.title for a in graph.build([tmp_path]).articles.values()] == ["Merged title"]


def test_an_exclamation_mark_elsewhere_changes_no_field(tmp_path):
    import graph

    head = "---\ntitle: yes\nwebUrl: https://example.org/{0}\ntopics: [NO, SE, 'on']\nquality: 010\n"
    (tmp_path / "plain.md").write_text(head.format("plain") + "excerpt: Wow\n---\n")
    (tmp_path / "bang.md").write_text(head.format("bang") + "excerpt: Wow !\n---\n")
    kg = graph.build([tmp_path])
    described = {a.url.rsplit("/", 1)[1]: (a.title, sorted(kg.topics[t].label for t in a.topic_ids), a.quality)
                 for a in kg.articles.values()}
    assert described == {"plain": ("yes", ["NO", "SE", "on"], 10), "bang": ("yes", ["NO", "SE", "on"], 10)}
    assert kg.report.warnings == [] and kg.report.rejected == []


def test_a_merge_key_in_a_related_item_or_an_image_merges_on_every_path(tmp_path):
    """The cut loader read related items and the rest with yaml_rs, which keeps ``<<`` as a key."""
    import graph

    (tmp_path / "a.md").write_text(
        "---\ntitle: A\nwebUrl: https://a.example/x\nimages: [{<<: {url: 'https://i.example/p.png'}, width: 10}]\n"
        "related:\n  - <<: {webUrl: 'https://b.example/y', title: B}\n---\n")
    built = [graph.build([tmp_path], fast_yaml=fast) for fast in (True, False)]
    for kg in built:
        assert sorted(a.title for a in kg.articles.values()) == ["A", "B"] and kg.report.edges["related"] == 1
        [a] = [a for a in kg.articles.values() if a.title == "A"]
        assert [(i.url, i.width) for i in a.images] == [("https://i.example/p.png", 10)]
        assert kg.report.warnings == []


@pytest.mark.parametrize("before, marks", [("", 0), ("A\ufeffB", 0), ("\ufeffA", 0), ("A\ufeff", 1)])
def test_only_byte_order_marks_opening_a_line_are_removed(tmp_path, before, marks):
    """A U+FEFF inside a title, first in the text, is kept (it is the
    title's); one after it that opens a line goes, with its warning: the
    character is found first, then the line's start from just before it."""
    import graph

    (tmp_path / "a.md").write_text(f'---\ntitle: "T{before}"\nwebUrl: "https://example.org/a"\n'
                                   f'{chr(0xFEFF) * marks}topics: [AI]\n---\n', encoding="utf-8")
    for fast in (True, False):
        kg = graph.build([tmp_path], fast_yaml=fast)
        [article] = kg.articles.values()
        assert [kg.topics[t].label for t in article.topic_ids] == ["AI"], fast
        assert [(w.line, w.message) for w in kg.report.warnings] == (
            [(4, "1 byte-order mark(s) (U+FEFF) at the start of a line removed")] if marks else []), fast
        assert article.title == "T" + before, fast  # the title's own marks are kept


def test_a_byte_order_mark_opening_a_line_is_removed_on_every_path(tmp_path):
    """Two files joined end to end leave a BOM before a key: yaml_rs read the key
    ``\\ufefftopics`` (the topics lost, no word said), PyYAML refused the file. Both paths
    now read the topics, with one warning at the line (line 4, counted by hand)."""
    import graph

    (tmp_path / "a.md").write_bytes(b'---\ntitle: T\nwebUrl: "https://example.org/a"\n'
                                    b'\xef\xbb\xbftopics: [AI]\r\n\xef\xbb\xbfquality: 3\n---\n')
    for fast in (True, False):
        kg = graph.build([tmp_path], fast_yaml=fast)
        [article] = kg.articles.values()
        assert [kg.topics[t].label for t in article.topic_ids] == ["AI"] and article.quality == 3, fast
        assert [(w.line, w.message) for w in kg.report.warnings] == [
            (4, "2 byte-order mark(s) (U+FEFF) at the start of a line removed")], fast
        assert kg.report.rejected == []
