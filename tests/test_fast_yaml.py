"""The fast front-matter paths give exactly what the plain regexes give.

``graph.reader._closing_fence`` replaces ``FM_BOUNDARY.search`` and
``graph.reader._has_tag`` replaces ``_TAG.search`` for speed; both are checked
against the regex they replace (the second method) on every real corpus file
and on crafted edge cases.
"""

from __future__ import annotations

import pytest

from graph import reader
from graph.reader import _HANDLERS, _TAG, _closing_fence, _has_tag, _decode

YAML, TOML, JSON = _HANDLERS

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
        got = _closing_fence(text, pos, handler)
        assert (got and got.span()) == (expected and expected.span()), (text, pos)


def test_closing_fence_matches_regex_on_every_corpus_file(corpus_dir):
    checked = 0
    for path in sorted(corpus_dir.rglob("*")):
        if path.suffix not in (".md", ".txt", ".yaml"):
            continue
        text = _decode(path.read_bytes(), str(path), [])
        for handler in (YAML, TOML):
            first = handler.FM_BOUNDARY.search(text)
            if first is None:
                continue
            expected = handler.FM_BOUNDARY.search(text, first.end())
            got = _closing_fence(text, first.end(), handler)
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
        fm = reader.split_front_matter(_decode(path.read_bytes(), str(path), []), str(path))
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
