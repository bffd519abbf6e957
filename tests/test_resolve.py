"""Identity resolution: canonical URLs rule by rule, keys, merging."""

from __future__ import annotations

import warnings

import random
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import graph
from graph.builder import MissingInputWarning
from graph.errors import InvalidURLError
from graph.resolve import article_id, canonical_url, provider_key, topic_id, topic_key


@pytest.mark.parametrize("given, expected", [
    # scheme and host lower-cased; http and https are the same article
    ("HTTP://Example.COM/Path", "https://example.com/Path"),
    ("http://example.com/a", "https://example.com/a"),
    # no fragment
    ("https://example.com/a#section-2", "https://example.com/a"),
    # tracking parameters removed, others kept in order
    ("https://example.com/a?utm_source=tw&b=2&utm_medium=x&a=1", "https://example.com/a?b=2&a=1"),
    ("https://example.com/a?fbclid=XYZ", "https://example.com/a"),
    ("https://example.com/a?gclid=1&id=7", "https://example.com/a?id=7"),
    # default port removed, other ports kept
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    # one trailing-slash form
    ("https://example.com/a/", "https://example.com/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/", "https://example.com/"),
    # characters not valid in an IRI percent-encoded, escapes kept (upper-cased)
    ("https://e.com/x.asp?id=1&cat=PR News Wire", "https://e.com/x.asp?id=1&cat=PR%20News%20Wire"),
    ("https://e.com/a%2fb", "https://e.com/a%2Fb"),
    # an escape of an unreserved character is that character (RFC 3986 6.2.2.2)
    ("https://e.com/%7ejo/%7Eb?q=%41%2d%5F%2E", "https://e.com/~jo/~b?q=A-_."),
    ("https://e.com/a%20b%25%2F", "https://e.com/a%20b%25%2F"),
    ("https://e.com/<b>|{c}", "https://e.com/%3Cb%3E%7C%7Bc%7D"),
    ("https://e.com/100%", "https://e.com/100%25"),
    ("https://e.com/caf\u00e9", "https://e.com/caf\u00e9"),
    ("https://e.com/a\u2028b", "https://e.com/a%E2%80%A8b"),
    # surrounding white space, trailing dot on the host
    ("  https://example.com./a  ", "https://example.com/a"),
])
def test_canonical_url_rules(given, expected):
    assert canonical_url(given) == expected


@pytest.mark.parametrize("bad", ["", "not a url", "ftp://example.com/x", "https:///nohost", "javascript:alert(1)",
                                 "https://exa mple.com/", "https://example.com:99999/"])
def test_invalid_urls_raise(bad):
    with pytest.raises(InvalidURLError):
        canonical_url(bad)


def test_canonical_url_is_idempotent_on_the_corpus(corpus_kg):
    for a in corpus_kg.articles.values():
        assert canonical_url(a.url) == a.url


def _plain_and_full(url: str) -> tuple[str | None, str | Exception]:
    """The fast path's canonical form of ``url`` (None: not plain) and the full rules'."""
    from graph.resolve import _canonical_in_full, _plain_canonical

    try:
        full: str | Exception = _canonical_in_full(url)
    except InvalidURLError as err:
        full = err
    return _plain_canonical(url), full


def test_plain_urls_canonical_as_by_the_full_rules_on_the_corpus(corpus_dir):
    """Every URL written in the real corpus (and the same with an upper-case host, http,
    a trailing slash, a tracking parameter and a fragment) that the fast path takes
    gets the form the full rules give it; and the fast path takes nearly all of them."""
    import re

    written = set()
    for path in sorted(corpus_dir.rglob("*.md")):
        written.update(re.findall(r"""https?://[^\s"'<>]+""", path.read_text(encoding="utf-8", errors="replace")))
    variants = set(written)
    for url in sorted(written)[::7]:
        scheme, rest = url.split("://", 1)
        host, slash, tail = rest.partition("/")
        variants.update({f"http://{host.upper()}{slash}{tail}", url.rstrip("/") + "/", url + "#top",
                         url + ("&" if "?" in url else "?") + "utm_source=x&id=1"})
    taken = 0
    for url in sorted(variants):
        plain, full = _plain_and_full(url)
        if plain is not None:
            assert plain == full, url
            taken += 1
    assert len(written) > 5_000  # its articles, related stubs and images
    assert taken > 0.9 * len(variants), (taken, len(variants))


def test_plain_urls_canonical_as_by_the_full_rules_on_random_urls():
    """Random URLs, each piece plain or one the fast path must tell apart from plain ones
    (ports, users, escapes, numbers ending a host, IDNA labels, white space, backslashes,
    characters an IRI cannot hold): where it gives a form, the full rules give the same."""
    rng = random.Random(20261207)

    def pick(plain: list, odd: list) -> str:
        return rng.choice(plain if rng.random() < 0.9 else odd)

    schemes = (["https", "http"], ["HTTP", "Https", "ftp", ""])
    labels = (["news", "Example", "a-b", "-x", "x-", "b2b", "www", "co", "x", "1e", "uk"],
              ["123", "0x7f", "0", "xn--bcher-kva", "XN--zz", "a_b", "b\u00fccher", ""])
    ends = ([""], [".", ":443", ":80", ":8080", ":", "@other.example", "\\@evil.example", "%2e", "."])
    # the odd ones: every ASCII character an IRI cannot hold as it is, and more
    odd_ascii = ["%", " ", "\t", "\\", "<", ">", "|", "^", "[", "]", "{", "}", '"', "`", "\x7f", "\x00"]
    chars = (list("abcXYZ019-._~!$&'()*+,;=:@/") + ["//", "/.", "/"],
             ["?", "#", "%7e", "%41", "%2F", "%zz", "\u00e9", "\u2028", "\ufffd", *odd_ascii])
    params = (["id=1", "utm_source=x", "UTM_medium=y", "fbclid=z", "q", "", "a=b=c", "ref_src=tw", "Ocid=1", "p=/x?",
               "s='()*+,;:@!$~"],
              ["x=%41", "a b", "#f", "\u00e9=1", *(f"q={c}" for c in odd_ascii)])
    taken = 0
    for _ in range(20_000):
        host = ".".join(pick(*labels) for _ in range(rng.randint(1, 4))) + pick(*ends)
        path = "".join(pick(*chars) for _ in range(rng.randint(0, 8)))
        if path and not path.startswith("/") and rng.random() < 0.9:
            path = "/" + path
        url = f"{pick(*schemes)}://{host}{path}"
        if rng.random() < 0.4:
            url += "?" + "&".join(pick(*params) for _ in range(rng.randint(0, 4)))
        if rng.random() < 0.2:
            url += "#" + rng.choice(["top", "", "a b", "x#y", "\u00e9", "<[\\]>", "a\u3000"])
        if rng.random() < 0.05:
            url = rng.choice([" ", "\n", "\t"]) + url + rng.choice(["", " "])
        plain, full = _plain_and_full(url)
        if plain is not None:
            assert plain == full, url
            taken += 1
    assert 2_000 < taken < 18_000  # both paths taken, often


def test_keys():
    assert provider_key("WWW.Go.com") == "go.com"
    assert provider_key(None, "https://abcnews.go.com/x") == "abcnews.go.com"
    assert topic_key("Computer   Vision") == topic_key("computer-vision") == "computer vision"
    assert topic_id(topic_key("C++")) == "topic/c%2B%2B"
    assert article_id("https://a.com/") != article_id("https://a.com/x")


def test_provider_and_topic_ids_encode_what_the_readme_says():
    """The README told of `-` and `.` kept, while `_` and `~` were kept too: the
    characters kept are read from the README's sentence and checked one by one."""
    import re
    import string
    from urllib.parse import unquote

    from conftest import ROOT
    from graph.resolve import provider_id

    readme = " ".join((ROOT / "README.md").read_text().split())
    said = re.search(r"what is not an ASCII letter, digit, (.*?) is percent-encoded as UTF-8", readme)
    assert said, "the README's sentence on percent-encoding"
    kept = set(string.ascii_letters + string.digits) | set(re.findall(r"`(.)`", said.group(1)))
    for ch in string.printable.strip() + "é€":
        for made, prefix in ((provider_id(f"a{ch}b"), "provider/"), (topic_id(f"a{ch}b"), "topic/")):
            body = made[len(prefix):]
            assert unquote(body) == f"a{ch}b"
            assert (body == f"a{ch}b") == (ch in kept), (ch, made)


def test_a_topic_typed_with_other_code_points_is_the_same_topic(tmp_path, corpus_kg):
    """"Café" with a combining accent, "CAFÉ" precomposed and "ＣＡＦＥ́" in full-width
    letters made three topics, all shown as one name. Each article is about the one
    topic its spelling normalizes to (Python's unicodedata, NFKC, as the expectation)."""
    import unicodedata

    spellings = ["Cafe\u0301", "CAF\u00c9", "\uff23\uff21\uff26\uff25\u0301", "Cafe"]
    for k, name in enumerate(spellings):
        write(tmp_path, f"{k}.md", title=f'"A{k}"', webUrl=f'"https://example.org/{k}"', topics=f'["{name}"]')
    kg = graph.build([tmp_path])
    expected = {unicodedata.normalize("NFKC", n).casefold() for n in spellings}
    assert expected == {"caf\u00e9", "cafe"}
    assert {t.key for t in kg.topics.values()} == expected
    about = {a.title: [kg.topics[t].key for t in a.topic_ids] for a in kg.articles.values()}
    assert about == {f"A{k}": [unicodedata.normalize("NFKC", n).casefold()] for k, n in enumerate(spellings)}
    # the real corpus's topic names are all in that form already: their keys, and so
    # their IRIs, are what the case-folding alone gave
    names = {n for t in corpus_kg.topics.values() for n in (t.label, *t.alt_labels)}
    assert len(names) > 20
    assert all(topic_key(n) == " ".join(n.casefold().replace("-", " ").replace("_", " ").split()) for n in names)


def test_a_path_in_another_normal_form_is_another_article_but_a_host_is_not(tmp_path):
    """RFC 3987 5.3.2.2: IRIs are compared as written, not normalized, and a server may
    serve two pages under ``caf\u00e9`` and ``cafe\u0301``; a host is one whatever its
    spelling (UTS 46 maps it, as a browser does). Expected ids by hand: the SHA-256 of
    each URL as written, the precomposed host in both."""
    import hashlib
    import unicodedata

    nfc, nfd = "caf\u00e9", unicodedata.normalize("NFD", "caf\u00e9")
    assert nfc != nfd
    write(tmp_path, "a.md", title='"A"', webUrl=f'"https://example.org/{nfc}"')
    write(tmp_path, "b.md", title='"B"', webUrl=f'"https://example.org/{nfd}"')
    write(tmp_path, "c.md", title='"C"', webUrl=f'"https://{nfd}.example/x"')
    write(tmp_path, "d.md", title='"D"', webUrl=f'"https://{nfc}.example/x"')
    kg = graph.build([tmp_path])
    by_title = {a.title: a.id for a in kg.articles.values()}
    sha = lambda url: "article/" + hashlib.sha256(url.encode()).hexdigest()[:16]  # noqa: E731
    assert {"A", "B"} <= set(by_title), "the two paths became one article"
    assert by_title["A"] == sha(f"https://example.org/{nfc}")
    assert by_title["B"] == sha(f"https://example.org/{nfd}")
    assert by_title["A"] != by_title["B"]
    merged = [a for a in kg.articles.values() if a.title in ("C", "D")]
    assert len(merged) == 1 and merged[0].id == sha(f"https://{nfc}.example/x")
    assert sorted(merged[0].files) == sorted(str(tmp_path / n) for n in ("c.md", "d.md"))


def write(folder: Path, name: str, **fields) -> Path:
    lines = ["---"]
    for key, value in fields.items():
        lines.append(f"{key}: {value}")
    lines.append("---")
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


RELATED = """
  - title: "Stub B"
    webUrl: "https://site-b.com/b?utm_source=feed"
    publishedDateTime: 2021-01-02T00:00:00Z
    provider:
      name: Site B
      domain: site-b.com
  - title: "Self"
    webUrl: "http://site-a.com/a/"
    provider:
      name: Site A
      domain: site-a.com"""


@pytest.fixture()
def small_corpus(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    write(d, "a.md", title='"Article A"', webUrl='"https://site-a.com/a"', topics="[AI, Machine Learning]",
          provider="{name: Site A, domain: site-a.com}", related=RELATED,
          publishedDateTime="2021-01-01T10:00:00Z", quality=5)
    # The same article as A, later, in another file: merged.
    write(d, "a-again.md", title='"Article A (updated)"', webUrl='"http://SITE-A.com/a#x"',
          topics="[ai, Cloud]", provider="{name: SITE A, domain: www.site-a.com}",
          publishedDateTime="2021-01-03T10:00:00Z")
    # B as a full article: the stub in A is this article, never a second node.
    write(d, "b.md", title='"Article B"', webUrl='"https://site-b.com/b"', topics="machine-learning",
          provider="{name: Site B, domain: site-b.com}", ampWebUrl='"https://site-b.com/b/amp"')
    # C names B's AMP URL as its webUrl: the same article again.
    write(d, "c.md", title='"Article B, AMP"', webUrl='"https://site-b.com/b/amp"')
    # D has no provider: derived from the URL host.
    write(d, "d.md", title='"Article D"', webUrl='"https://www.news.example/d"', topics='"ABC News"')
    return d


def test_merging_rules(small_corpus):
    kg = graph.build([small_corpus])
    urls = sorted(a.url for a in kg.articles.values())
    assert urls == ["https://site-a.com/a", "https://site-b.com/b", "https://www.news.example/d"]
    a = kg.article_by_url("http://site-a.com/a")
    # Newest full record wins fields; topics are unioned in rank order.
    assert a.title == "Article A (updated)"
    assert a.quality == 5  # only the older file has it
    assert [kg.topics[t].key for t in a.topic_ids] == ["ai", "cloud", "machine learning"]
    assert len(a.files) == 2 and kg.report.duplicates_merged[0]["files"] == sorted(a.files)
    # Related: the stub is B itself; the self-link adds no edge.
    b = kg.article_by_url("https://site-b.com/b")
    assert a.related_ids == (b.id,) and not b.is_stub
    assert kg.report.self_links_dropped == 1
    assert kg.article_by_url("https://site-b.com/b/amp") is b
    assert len([f for f in b.files]) == 2  # b.md and c.md
    # Providers keyed by domain; most frequent spelling, variants kept.
    site_a = kg.providers["provider/site-a.com"]
    assert site_a.name == "Site A" and site_a.alt_names == ("SITE A",)
    d = kg.article_by_url("https://www.news.example/d")
    assert d.provider_id == "provider/news.example"
    # Topics keyed by folded name, displayed with the most frequent spelling.
    ml = kg.topics["topic/machine-learning"]
    assert ml.label == "Machine Learning" or ml.label == "machine-learning"
    assert set(ml.alt_labels) | {ml.label} == {"Machine Learning", "machine-learning"}
    assert kg.topics["topic/ai"].label == "AI" and kg.topics["topic/ai"].alt_labels == ("ai",)


def _snapshot(kg):
    nodes = {n: dict(d) for n, d in kg.nx.nodes(data=True)}
    for d in nodes.values():
        d.pop("sources", None)
        d.pop("files", None)
        d.pop("catalog", None)
    return nodes, sorted(kg.edges())


def test_ids_do_not_depend_on_file_order_or_names(small_corpus, tmp_path):
    first = graph.build([small_corpus])
    # Same files, other names, other order, other folders, extra unrelated files.
    other = tmp_path / "other"
    other.mkdir()
    files = sorted(small_corpus.iterdir())
    random.Random(7).shuffle(files)
    for i, f in enumerate(files):
        sub = other / f"sub{i % 2}"
        sub.mkdir(exist_ok=True)
        shutil.copy(f, sub / f"zz-{len(files) - i}-{f.name}")
    write(other, "extra.md", title='"Unrelated"', webUrl='"https://elsewhere.org/x"')
    second = graph.build([other])
    n1, e1 = _snapshot(first)
    n2, e2 = _snapshot(second)
    extra = second.article_by_url("https://elsewhere.org/x").id
    n2.pop(extra)
    n2.pop("provider/elsewhere.org")
    e2 = [e for e in e2 if e[0] != extra]
    assert n1 == n2 and e1 == e2


def test_a_stub_never_renames_an_article_that_has_a_file(tmp_path):
    # A stub in another file naming this file's URL as its AMP page merged the two
    # and made the stub's URL canonical: the file's article took another URL and id.
    (tmp_path / "b.md").write_text("---\ntitle: B\nwebUrl: https://ex.org/B\n---\n")
    (tmp_path / "a.md").write_text(
        "---\ntitle: A\nwebUrl: https://ex.org/A\nrelated:\n"
        "  - {title: C stub, webUrl: https://ex.org/C, ampWebUrl: https://ex.org/B}\n---\n")
    kg = graph.build([tmp_path])
    b = kg.articles[article_id("https://ex.org/B")]  # its id from its own URL, by the documented rule
    assert b.url == "https://ex.org/B" and b.title == "B" and b.files == (str(tmp_path / "b.md"),)
    assert "https://ex.org/C" in b.aliases  # the stub is the same article, known by another URL
    assert b.id in kg.articles[article_id("https://ex.org/A")].related_ids
    assert not any(a.url == "https://ex.org/C" for a in kg.articles.values())
    # without a file of its own the group still takes the URL that is nobody's alias
    (tmp_path / "b.md").unlink()
    stubs_only = graph.build([tmp_path])
    assert stubs_only.articles[article_id("https://ex.org/C")].aliases == ("https://ex.org/B",)


def test_corpus_determinism_across_file_order(corpus_dir, corpus_kg):
    # The corpus given folder by folder, in reverse order, read by a process pool.
    parts = sorted([corpus_dir / "powerapps", corpus_dir / "azure", corpus_dir / "seed"], reverse=True)
    again = graph.build(parts, jobs=2)
    assert list(again.articles) == list(corpus_kg.articles)
    assert sorted(again.edges()) == sorted(corpus_kg.edges())
    assert [again.articles[k] for k in again.articles] == [corpus_kg.articles[k] for k in corpus_kg.articles]


def test_empty_input_gives_an_empty_graph(tmp_path):
    kg = graph.build([tmp_path])
    assert kg.nx.number_of_nodes() == 0 and kg.report.articles == 0


def test_records_and_articles_declare_the_same_descriptive_fields():
    """What resolution copies from the best record to the article is declared
    once (graph.model.DESCRIPTIVE_FIELDS): a field added to one class and not
    to the other, or not to the list, fails here."""
    from dataclasses import fields

    from graph.model import DESCRIPTIVE_FIELDS, Article, ArticleRecord

    record = {f.name: f.type for f in fields(ArticleRecord)}
    article = {f.name: f.type for f in fields(Article)}
    assert all(record[name] == article[name] for name in DESCRIPTIVE_FIELDS)
    # Every other field is about identity, links or provenance, and differs in kind.
    assert set(record) - set(DESCRIPTIVE_FIELDS) == {
        "url", "source", "is_stub", "aliases", "images", "provider", "topics", "related"}
    assert set(article) - set(DESCRIPTIVE_FIELDS) == {
        "id", "url", "is_stub", "aliases", "images", "provider_id", "topic_ids", "related_ids", "sources", "files"}


def _catalogue_tree(root: Path) -> tuple[Path, Path]:
    """``root/news`` and a catalogue ``root/data`` (with ``topics/`` and ``organizations/``), made empty."""
    news, data = root / "news", root / "data"
    for folder in (news, data / "topics", data / "organizations"):
        folder.mkdir(parents=True)
    return news, data


def test_catalogue_values_of_the_wrong_shape_are_left_out_with_warnings(tmp_path):
    news, data = _catalogue_tree(tmp_path)
    (news / "a.md").write_text("---\ntitle: A\nwebUrl: https://www.foo.com/a\ntopics: [AI]\n"
                               "provider: {domain: foo.com}\n---\n")
    (data / "topics" / "ai.yaml").write_text("name: AI\nkeywords: 42\nhashtags: true\nimages: 5\n")
    (data / "organizations" / "foo.md").write_text(
        '---\nname: Foo\ndomain: foo.com\nimages: [{url: "https://i.example/x.png", width: true}, 7]\n---\n')
    (news / "bar.md").write_text("---\ntaxonomy: organization\nname: Bar\ndomain: bar.com\nimages: 7\n---\n")
    kg = graph.build([news])
    [topic], [provider] = kg.topics.values(), kg.providers.values()
    assert (topic.keywords, topic.hashtags, topic.images) == (("42",), (), ())
    assert provider.name == "Foo" and [(i.url, i.width) for i in provider.images] == [("https://i.example/x.png", None)]
    warned = sorted((Path(w.path).name, w.message) for w in kg.report.warnings)
    assert warned == [
        ("ai.yaml", "images should be a list of images, found int 5; ignored"),
        ("bar.md", "images should be a list of images, found int 7; ignored"),
        ("foo.md", "images has an entry without a url; skipped"),
        ("foo.md", "images[].width should be a whole number, found bool True; left empty"),
    ]


def test_catalogue_numbers_too_long_to_write_out_are_left_out_not_the_build(tmp_path):
    """A topic named by a number of 5,001 digits (or one among its keywords) stopped the
    whole build with Python's ValueError, no output written: the entry without a name is
    skipped, a keyword left out with a warning, and the article is built."""
    news, data = _catalogue_tree(tmp_path)
    (news / "a.md").write_text("---\ntitle: A\nwebUrl: https://www.foo.com/a\ntopics: [AI]\n"
                               "provider: {domain: foo.com}\n---\n")
    huge = "1" + "0" * 5000
    (data / "topics" / "ai.yaml").write_text(f"name: AI\nkeywords: [{huge}, ml]\nhashtags: {huge}\n")
    (data / "topics" / "number.yaml").write_text(f"name: {huge}\n_id: {huge}\n")
    (data / "organizations" / "foo.md").write_text(f"---\nname: {huge}\ndomain: foo.com\n---\n")
    kg = graph.build([news])
    assert [a.title for a in kg.articles.values()] == ["A"]
    [topic], [provider] = kg.topics.values(), kg.providers.values()
    assert (topic.label, topic.keywords, topic.hashtags) == ("AI", ("ml",), ())
    assert provider.name == "foo.com"  # the catalogue's name could not be written: the domain, as without one
    assert [(Path(s["path"]).name, s["reason"]) for s in kg.report.skipped] == [
        ("number.yaml", "catalogue topic without a name or _id")]
    assert sorted((Path(w.path).name, w.message) for w in kg.report.warnings) == [
        ("ai.yaml", "hashtags has a whole number of 5,001 digits; left out"),
        ("ai.yaml", "keywords has a whole number of 5,001 digits; left out"),
        ("foo.md", "name has a whole number of 5,001 digits; left out"),
        ("number.yaml", "_id has a whole number of 5,001 digits; left out"),
        ("number.yaml", "name has a whole number of 5,001 digits; left out")]


def test_an_organisation_file_without_taxonomy_or_domain_is_no_topic(tmp_path):
    """Its folder says what it is: it was read as a topic (a topic node 'Xname' from a
    file in organizations/, no word said); it is skipped, with the reason."""
    news, data = _catalogue_tree(tmp_path)
    (news / "a.md").write_text("---\ntitle: A\nwebUrl: https://www.foo.com/a\ntopics: [Xname]\n---\n")
    (data / "organizations" / "o.md").write_text("---\nname: Xname\n---\n")
    (data / "topics" / "t.yaml").write_text("name: Xname\nkeywords: [x]\n")  # no taxonomy either: a topic
    kg = graph.build([news])
    [topic] = kg.topics.values()
    assert Path(topic.catalog).name == "t.yaml" and topic.keywords == ("x",)
    assert [(Path(s["path"]).name, s["reason"]) for s in kg.report.skipped] == [
        ("o.md", "catalogue organization without a domain")]
    assert [Path(p).name for p in kg.report.catalog_files] == ["t.yaml"]


def test_catalogue_files_that_cannot_be_read_are_rejected_with_their_line(tmp_path):
    news, data = _catalogue_tree(tmp_path)
    (news / "a.md").write_text("---\ntitle: A\nwebUrl: https://www.foo.com/a\ntopics: [AI]\n---\n")
    # Line 3 closes its list twice.
    (data / "topics" / "ai.yaml").write_text("name: AI\nhashtags: [ai]\nkeywords: [a, b]]\n")
    # The quoted name opened on line 3 (the fence is line 1) runs to the end: line 5.
    (data / "organizations" / "foo.md").write_text('---\ntaxonomy: organization\nname: "Foo\ndomain: foo.com\n---\n')
    (data / "topics" / "nameless.yaml").write_text("keywords: [x]\n")
    (data / "topics" / "latin1.yaml").write_bytes("name: caf\u00e9\n".encode("latin-1"))
    report = graph.build([news]).report
    rejected = {Path(r["path"]).name: (r["reason"].split(":")[0], r["line"]) for r in report.rejected}
    assert rejected == {"ai.yaml": ("invalid YAML", 3), "foo.md": ("invalid YAML", 5)}
    assert [(Path(s["path"]).name, s["reason"]) for s in report.skipped] == [
        ("nameless.yaml", "catalogue topic without a name or _id")]
    # Read as an input too, the broken organisation file is listed once, not twice.
    both = graph.build([tmp_path]).report
    assert sorted(Path(r["path"]).name for r in both.rejected) == ["ai.yaml", "foo.md"]
    # Latin-1 is read as an article would be: its bad byte replaced, with a warning (it was rejected).
    assert [(Path(w.path).name, w.message.split(":")[0], w.line) for w in report.warnings] == [
        ("latin1.yaml", "not valid UTF-8", 1)] and both.warnings == report.warnings


def test_a_catalogue_folders_files_are_the_catalogues_whatever_they_hold(tmp_path):
    """Read with their folder as inputs, organizations/*.md are catalogue files
    only: one without ``taxonomy`` was also rejected as an article ("missing
    title", failing --strict), an article put there was in the graph and
    skipped; each file is now in one place, and the places add up to the files."""
    (tmp_path / "news").mkdir()
    orgs = tmp_path / "data" / "organizations"
    orgs.mkdir(parents=True)
    (orgs / "wired.md").write_text("---\nname: Wired\ndomain: wired.com\n---\n")
    (orgs / "misplaced.md").write_text("---\ntitle: Misplaced\nwebUrl: https://www.wired.com/m\n---\n")
    (tmp_path / "news" / "n.md").write_text("---\ntitle: N\nwebUrl: https://www.wired.com/n\n---\n")
    kg = graph.build([tmp_path])
    report = kg.report
    assert [a.title for a in kg.articles.values()] == ["N"]
    assert [p.name for p in kg.providers.values()] == ["Wired"]
    assert report.rejected == []
    assert [(Path(s["path"]).name, s["reason"]) for s in report.skipped] == [
        ("misplaced.md", "catalogue organization without a domain")]
    assert [Path(p).name for p in report.catalog_files] == ["wired.md"]
    on_disk = sum(1 for p in tmp_path.rglob("*.md"))
    assert report.article_files + len(report.catalog_files) + len(report.skipped) + len(report.rejected) == on_disk


def test_catalogue_files_are_decoded_as_articles_are(tmp_path):
    """A NUL cut a catalogue file short (its domain lost, the entry skipped); UTF-16
    was rejected; block nesting too deep for the alias check ended in a traceback."""
    news, data = _catalogue_tree(tmp_path)
    (news / "a.md").write_text("---\ntitle: A\nwebUrl: https://n.example/a\ntopics: [Deep]\n---\n")
    (news / "b.md").write_text("---\ntitle: B\nwebUrl: https://u.example/b\n---\n")
    (data / "organizations" / "n.md").write_bytes(b"---\nname: Nul\x00 News\ndomain: n.example\n---\n")
    (data / "organizations" / "u.md").write_bytes("---\nname: Utf Sixteen\ndomain: u.example\n---\n".encode("utf-16"))
    # 1,100 levels, one a line (under the bounds of graph.reader._check_nesting: PyYAML reads it)
    (data / "topics" / "deep.yaml").write_text("taxonomy: topic\nname: !!str Deep\nx:\n"
                                               + "".join(" " * k + "-\n" for k in range(1100)) + " " * 1100 + "v\n")
    limit = sys.getrecursionlimit()  # Python's default, whatever an earlier test's library set
    sys.setrecursionlimit(1000)
    try:
        kg = graph.build([news])
    finally:
        sys.setrecursionlimit(limit)
    assert sorted(p.name for p in kg.providers.values()) == ["Nul News", "Utf Sixteen"]
    assert [(Path(w.path).name, w.message) for w in kg.report.warnings] == [("n.md", "1 NUL character(s) removed")]
    assert [(Path(r["path"]).name, r["reason"]) for r in kg.report.rejected] == [
        ("deep.yaml", "front matter nested too deeply")]


def test_nuls_written_as_escapes_in_a_catalogue_are_removed_with_a_warning(tmp_path):
    """As in an article (tests/test_reader.py): a NUL written as an escape stayed in a
    catalogue's name or keyword, unsaid. Expected: PyYAML's values without their NULs."""
    import yaml

    news, data = _catalogue_tree(tmp_path)
    (news / "a.md").write_text("---\ntitle: A\nwebUrl: https://n.example/a\ntopics: [Deep]\n---\n")
    org = 'name: "Nul\\0 News"\ndomain: n.example\n'
    topic = 'taxonomy: topic\nname: "Deep"\nkeywords: ["ze\\u0000ro", plain]\n'
    (data / "organizations" / "n.md").write_text(f"---\n{org}---\n")
    (data / "topics" / "deep.yaml").write_text(topic)
    kg = graph.build([news])
    name, keywords = yaml.safe_load(org)["name"], yaml.safe_load(topic)["keywords"]
    assert "\x00" in name and "\x00" in keywords[0]  # the input has them
    assert [p.name for p in kg.providers.values()] == [name.replace("\x00", "")]
    assert sorted(next(iter(kg.topics.values())).keywords) == sorted(k.replace("\x00", "") for k in keywords)
    assert sorted((Path(w.path).name, w.message) for w in kg.report.warnings) == [
        ("deep.yaml", "keywords holds 1 NUL character(s) (written as escapes); removed"),
        ("n.md", "name holds 1 NUL character(s) (written as escapes); removed")]


def test_catalogue_files_load_as_articles_do(tmp_path):
    """A catalogue file's front matter is loaded by the articles' loader: a lone
    surrogate escape in JSON (which crashed the graph.json export), a duplicate
    key and an alias bomb are met as they are in an article."""
    from graph.export import write_exports

    news, data = _catalogue_tree(tmp_path)
    (news / "a.md").write_text("---\ntitle: A\nwebUrl: https://www.foo.com/a\ntopics: [AI, ML]\n---\n")
    (data / "organizations" / "foo.md").write_text('{\n"name": "Foo \\ud800 Inc",\n"domain": "foo.com"\n}\n')
    (data / "topics" / "ai.yaml").write_text("name: AI\nkeywords: [a]\nkeywords: [b]\n")
    bomb = "name: ML\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6))
    (data / "topics" / "ml.yaml").write_text(bomb)
    kg = graph.build([news])
    [provider] = kg.providers.values()
    assert provider.name == "Foo \ufffd Inc"
    topics = {t.label: t for t in kg.topics.values()}
    assert topics["AI"].keywords == ("b",) and topics["ML"].keywords == ()
    warned = sorted((Path(w.path).name, w.line, w.message.split(":")[0]) for w in kg.report.warnings)
    assert warned == [("ai.yaml", 3, "duplicate key 'keywords'"),
                      ("foo.md", 2, "lone UTF-16 surrogate escape(s) (\\ud800-\\udfff)")]
    assert [(Path(r["path"]).name, r["reason"].split(" (")[0]) for r in kg.report.rejected] == [
        ("ml.yaml", f"front matter expands to over {graph.reader.MAX_EXPANDED_NODES:,} values through YAML aliases")]
    write_exports(kg, tmp_path / "out", ["json", "nt"])
    assert "Foo \ufffd Inc" in (tmp_path / "out" / "graph.nt").read_text(encoding="utf-8")


def test_hosts_with_white_space_or_separators_are_invalid():
    for url in ("https://a\u00a0b.example/x", "https://a\u2028b.example/x", "https://a\u3000b.example/x"):
        with pytest.raises(InvalidURLError, match="not a valid host name"):
            canonical_url(url)
    assert canonical_url("https://café.example/x") == "https://café.example/x"  # letters beyond ASCII stay


def test_offsets_with_seconds_become_utc_in_every_rdf_export(tmp_path):
    import rdflib

    from graph.export import write_exports

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("---\ntitle: t\nwebUrl: https://a.example.com/x\n"
                                          "publishedDateTime: 2021-06-18T11:00:00+05:30:15\n---\n")
    (tmp_path / "in" / "b.md").write_text("---\ntitle: t\nwebUrl: https://a.example.com/y\n"
                                          "publishedDateTime: 9999-12-31T23:59:59-05:00:30\n---\n")
    kg = graph.build([tmp_path / "in"])
    write_exports(kg, tmp_path / "out", ["nt"])
    parsed = rdflib.Graph().parse(tmp_path / "out" / "graph.nt", format="nt")
    dates = [o for _, p, o in parsed if str(p) == "https://schema.org/datePublished"]
    # 11:00:00 at +05:30:15 is 05:29:45 UTC, worked out by hand; rdflib reads the literal as a valid dateTime
    assert [str(d) for d in dates] == ["2021-06-18T05:29:45+00:00"] and dates[0].ill_typed is False
    assert any("publishedDateTime is not a date" in w.message for w in kg.report.warnings)  # b.md: out of range


def test_whole_numbers_beyond_64_bits_are_left_empty_with_a_warning(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: t\nwebUrl: https://a.example.com/x\n"
                                   f"quality: {2 ** 63}\nheat: {2 ** 63 - 1}\n---\n")
    kg = graph.build([tmp_path])
    [article] = kg.articles.values()
    assert (article.quality, article.heat) == (None, 9223372036854775807)
    assert [w.message for w in kg.report.warnings] == [
        "quality should be a whole number of at most 64 bits, found int 9223372036854775808; left empty"]


@pytest.mark.parametrize("url", ["http://[2001:DB8::1]/x", "http://u:p@[2001:db8::1]:8080/x",
                                 "https://user@[::1]/a/", "http://u@example.com:81/x"])
def test_canonical_url_keeps_the_host_port_and_user_it_was_given(url):
    """Read back by urllib, the canonical URL names the same host, port and
    user as the URL it was made from (an IPv6 host keeps its brackets)."""
    from urllib.parse import urlsplit

    given, made = urlsplit(url), urlsplit(canonical_url(url))
    assert (made.hostname, made.port, made.username) == (given.hostname, given.port, given.username)


@pytest.mark.parametrize("url, host, port, user", [
    ("https://a@b@example.org/u2", "example.org", None, "a%40b"),  # userinfo ends at the last @
    ("https://example.org\\@evil.example/x", "example.org", None, None),  # a browser's host
    ("https://example.org:80/p", "example.org", 80, None),  # not https's default port
    ("http://example.org:80/p", "example.org", None, None),
])
def test_canonical_url_names_the_host_a_browser_opens_as_a_valid_iri(url, host, port, user):
    """Hosts, ports and users as WHATWG's URL parser reads them (worked out by
    hand from its rules), in a URL oxigraph takes as an IRI: one such URL made
    oxigraph refuse the whole N-Triples file, after a build that warned of nothing."""
    import pyoxigraph

    made = canonical_url(url)
    pyoxigraph.NamedNode(made)
    parts = urlsplit(made)
    assert (parts.hostname, parts.port, parts.username) == (host, port, user)


@pytest.mark.parametrize("url", ["http://[fe80::1%25eth0]/x", "http://[fe80::1%eth0]/x", "http://[v1.x]/y",
                                 "http://[example.org]/z"])
def test_a_bracketed_host_must_be_an_ipv6_address_without_a_zone(url, tmp_path):
    with pytest.raises(InvalidURLError, match="not a valid (host name in )?URL"):
        canonical_url(url)
    (tmp_path / "a.md").write_text(f"---\ntitle: t\nwebUrl: '{url}'\n---\n")
    kg = graph.build([tmp_path])
    assert not kg.articles
    assert [(Path(r["path"]).name, r["reason"].split(" (")[0]) for r in kg.report.rejected] == [
        ("a.md", "no usable webUrl or originalUrl")]


@pytest.mark.parametrize("host", ["b\u00fccher.example", "M\u00fcnchen.de", "\u4f8b\u3048.\u30c6\u30b9\u30c8",
                                  "caf\u00e9.news.example"])
def test_a_host_in_idna_form_and_in_unicode_is_one_host(host, tmp_path):
    """``xn--`` labels (encoded here by Python's own IDNA codec, independent of
    the code under test) and their Unicode spelling name one article and one
    provider."""
    ascii_host = host.encode("idna").decode("ascii")
    assert ascii_host.startswith("xn--") or ".xn--" in ascii_host
    assert canonical_url(f"http://{ascii_host.upper()}/a") == canonical_url(f"https://{host}/a")
    assert canonical_url(f"https://{host}/a") == f"https://{host.lower()}/a"  # the IRI keeps Unicode
    assert provider_key(ascii_host) == provider_key(f"www.{host}") == provider_key(None, f"https://{host}/x")

    write(tmp_path, "a.md", title='"A, linked by its IDNA host"', webUrl=f'"https://{ascii_host}/a"',
          provider=f"{{name: P, domain: {ascii_host}}}")
    write(tmp_path, "b.md", title='"B"', webUrl=f'"https://{host}/b"',
          related=f'\n  - title: "A again"\n    webUrl: "https://{host}/a"\n'
                  f'    provider: {{name: P, domain: "{host}"}}')
    kg = graph.build([tmp_path])
    assert len(kg.articles) == 2 and len(kg.providers) == 1
    assert {a.url for a in kg.articles.values()} == {f"https://{host.lower()}/a", f"https://{host.lower()}/b"}


@pytest.mark.parametrize("host", ["a_b.b\u00fccher.example", "xn--zz.example", "\u2603.example"])
def test_a_host_idna_refuses_is_kept_as_written(host):
    """Labels IDNA refuses (an underscore, a broken ``xn--`` label, a symbol)
    are not an error: the host is kept, lower-cased."""
    assert canonical_url(f"https://{host.upper()}/a") == f"https://{host.lower()}/a"


def test_catalogs_take_one_folder_as_paths_do_and_name_a_missing_one(corpus_dir, tmp_path):
    seed, data = corpus_dir / "seed", corpus_dir / "azure" / "data"
    as_list = graph.build([seed], catalogs=[data], detect_catalogs=False)
    for one in (str(data), data):
        kg = graph.build([seed], catalogs=one, detect_catalogs=False)
        assert len(kg.report.catalog_files) == len(as_list.report.catalog_files) > 0  # not walked letter by letter
        assert {t.id: t.keywords for t in kg.topics.values()} == {t.id: t.keywords for t in as_list.topics.values()}
    missing, a_file = tmp_path / "nope", tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    kg = graph.build([seed], catalogs=[missing, a_file], detect_catalogs=False)
    assert [(r["path"], r["reason"]) for r in kg.report.rejected] == [
        (str(missing), "no such catalogue folder"), (str(a_file), "a catalogue must be a folder")]


def test_a_catalogue_keyword_or_hashtag_listed_twice_is_kept_once_in_its_order(corpus_kg, corpus_dir):
    """The real corpus's 02-model-driven-apps.yaml lists "model-driven apps" twice: graph.json
    held it twice, the RDF (a set of triples) once. Expected: each catalogue topic file's
    lists, read with PyYAML, each text once where it first comes (by hand, with a loop)."""
    import yaml

    checked = 0
    for path in sorted(corpus_dir.glob("*/data/topics/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        topic = next((t for t in corpus_kg.topics.values() if t.catalog == str(path)), None)
        if topic is None or not isinstance(data, dict):
            continue
        for field in ("keywords", "hashtags"):
            once: list[str] = []
            for value in data.get(field) or []:
                if isinstance(value, str) and value.strip() and value not in once:
                    once.append(value)
            assert list(getattr(topic, field)) == once, (path, field)
        checked += 1
    assert checked > 10
    (twice,) = [t for t in corpus_kg.topics.values() if t.catalog and t.catalog.endswith("02-model-driven-apps.yaml")]
    assert twice.keywords.count("model-driven apps") == 1


def test_a_folder_that_is_no_catalogue_is_rejected_and_said_as_the_command_line_refuses_it(corpus_dir, tmp_path):
    """graph.build(catalogs=["/tmp"]) read an empty catalogue without a word, where
    `newsgraph build --catalog /tmp` says "not a catalogue folder": in a notebook a
    mistyped catalogue had no effect and nothing said so."""
    seed = corpus_dir / "seed"
    (tmp_path / "notes").mkdir()
    with pytest.warns(MissingInputWarning, match=f"not a catalogue folder .*: {tmp_path / 'notes'}"):
        kg = graph.build([seed], catalogs=[tmp_path / "notes"], detect_catalogs=False)
    assert kg.report.rejected == [{"path": str(tmp_path / "notes"), "line": None,
                                   "reason": "not a catalogue folder (it holds no organizations/ or topics/ folder)"}]
    (tmp_path / "notes" / "topics").mkdir()  # now it is one (an empty one): nothing to say
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert graph.build([seed], catalogs=[tmp_path / "notes"], detect_catalogs=False).report.rejected == []


@pytest.mark.parametrize("invisible", ["\u00ad", "\u200b"])
def test_a_host_loses_what_uts_46_ignores_as_browsers_do(invisible):
    """A soft hyphen or zero-width space in a host is mapped to nothing (UTS 46, as the
    WHATWG URL parser does): the host a browser would reach. A space is still refused."""
    assert canonical_url(f"https://ex{invisible}ample.com/a") == "https://example.com/a"
    with pytest.raises(InvalidURLError):
        canonical_url("https://ex ample.com/a")


def test_image_addresses_that_are_no_web_picture_are_left_out_with_warnings(tmp_path):
    """``javascript:`` or ``data:text/html`` as an image's address went into every
    export, where a tool that shows it as a link runs it: left out, with a
    warning at the line of the key that held it, wherever images are read
    (the article, its provider, a related stub, the catalogue); http(s), raster
    ``data:image/`` and addresses without a scheme are kept."""
    news, data = _catalogue_tree(tmp_path)
    png = "data:image/png;base64,iVBORw0KGgo="
    (news / "a.md").write_text(
        "---\ntitle: A\nwebUrl: https://www.foo.com/a\ntopics: [AI]\n"                            # lines 2-4
        f'images: ["javascript:alert(1)", "https://i.example/a.png", " JAVA\\tSCRIPT:x", "{png}",'  # line 5
        ' {url: "data:text/html,<script>alert(2)</script>", width: 5}, "img/b.png"]\n'
        'provider: {domain: foo.com, images: ["vbscript:msgbox(3)", "//cdn.example/logo.png"]}\n'  # line 6
        "related:\n"                                                                                # line 7
        '  - {title: B, webUrl: "https://www.foo.com/b", images: ["data:image/svg+xml,<svg onload=alert(4)>"]}\n'
        "---\n")
    (data / "topics" / "ai.yaml").write_text('name: AI\nimages: ["file:///etc/passwd", "https://i.example/ai.png"]\n')
    kg = graph.build([news])
    articles = {a.title: a for a in kg.articles.values()}
    assert [i.url for i in articles["A"].images] == ["https://i.example/a.png", png, "img/b.png"]
    assert articles["B"].images == ()
    [provider], [topic] = kg.providers.values(), kg.topics.values()
    assert [i.url for i in provider.images] == ["//cdn.example/logo.png"]
    assert [i.url for i in topic.images] == ["https://i.example/ai.png"]
    left_out = "is not the address of a picture on the web (http:, https: or data:image/); left out"
    warned = sorted((Path(w.path).name, w.line, w.message) for w in kg.report.warnings)
    assert warned == sorted([
        ("a.md", 5, f"images: 'javascript:alert(1)' {left_out}"),
        ("a.md", 5, f"images: ' JAVA\\tSCRIPT:x' {left_out}"),
        ("a.md", 5, f"images: 'data:text/html,<script>alert(2)</script>' {left_out}"),
        ("a.md", 6, f"provider.images: 'vbscript:msgbox(3)' {left_out}"),
        ("a.md", 7, f"related item 1: images: 'data:image/svg+xml,<svg onload=alert(4)>' {left_out}"),
        ("ai.yaml", None, f"images: 'file:///etc/passwd' {left_out}"),
    ])
    out = tmp_path / "out"
    graph.export.write_exports(kg, out, ["ttl", "nt", "jsonld", "trig", "json", "html", "graphml", "gexf"])
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")  # the page's own script says "javascript:": the payloads, then
        for refused in ("alert(1)", "SCRIPT:x", "alert(2)", "msgbox(3)", "alert(4)", "/etc/passwd"):
            assert refused not in text, (path.name, refused)
        assert "i.example/a.png" in text or path.suffix == ".html", path.name  # what is kept is written


def _code_points_to_try() -> list[int]:
    """Every code point of the BMP beyond ASCII but the surrogates, and the
    first and last 64 of every other plane and of U+E0000-U+E1000."""
    points = [c for c in range(0x80, 0x10000) if not 0xD800 <= c <= 0xDFFF]
    for plane in range(1, 17):
        base = plane << 16
        points += [*range(base, base + 64), *range(base + 0xFFC0, base + 0x10000)]
    return sorted(set(points + [*range(0xE0FC0, 0xE1040)]))


def test_what_an_iri_may_hold_is_what_oxigraph_takes():
    """Beyond ASCII, a character an IRI may hold as it is (RFC 3987's ucschar,
    as ``NOT_IN_IRI`` says) is one oxigraph takes in a path; anything
    ``iri_safe`` and ``canonical_url`` make of a URL holding any character is
    an IRI oxigraph takes. A U+FFFD (an undecodable byte) or a U+E0100 in a
    URL made oxigraph refuse the whole N-Triples file."""
    import pyoxigraph

    from graph.namespaces import NOT_IN_IRI, iri_safe

    def taken(iri: str) -> bool:
        try:
            pyoxigraph.NamedNode(iri)
        except ValueError:
            return False
        return True

    refused = []
    for point in _code_points_to_try():
        char = chr(point)
        path = f"https://x.example/a{char}b"
        assert (NOT_IN_IRI.match(char) is None) == taken(path), hex(point)
        assert taken(iri_safe(path)) and (iri_safe(path) == path) == taken(path), hex(point)
        made = canonical_url(f"https://x.example/a{char}b?q={char}")
        assert taken(made), hex(point)
        try:
            made = canonical_url(f"https://a{char}.example/")
        except InvalidURLError:
            refused.append(point)
        else:
            assert taken(made), hex(point)
    assert 0xFFFD in refused and 0xFFFC in refused and 0xE000 in refused
    assert 0xE9 not in refused  # a letter: b\u00fccher.example is a host


def test_iri_safe_encodes_a_lone_surrogate_as_what_a_decoder_makes_of_it():
    from graph.namespaces import iri_safe

    assert iri_safe("https://x.example/a\ud800b") == iri_safe("https://x.example/a\ufffdb") == (
        "https://x.example/a%EF%BF%BDb")


@pytest.mark.parametrize("symbol, ascii_", [("\uff0f", "/"), ("\ufe47", "["), ("\uff1a", ":"), ("\uff03", "#"),
                                            ("\uff1f", "?"), ("\uff20", "@"), ("\uff05", "%")])
def test_a_host_symbol_the_mapping_makes_a_delimiter_is_refused(symbol, ascii_):
    """UTS 46 maps full-width and vertical forms to ASCII (Python's own
    ``unicodedata.normalize("NFKC")`` says which, independently of the idna
    package). ``urlsplit`` refuses a host that NFKC makes hold ``/?#@:``; the
    mapping made ``a\ufe47b.example`` the host ``a[b.example``, which no
    IRI holds, and a full-width ``%`` a stray escape."""
    import unicodedata

    assert unicodedata.normalize("NFKC", symbol) == ascii_
    with pytest.raises(InvalidURLError, match="not a valid (host name in )?URL"):
        canonical_url(f"https://a{symbol}b.example/x")


@pytest.mark.parametrize("url, expected", [
    ("https://b%C3%BCcher.de/x", "https://b\u00fccher.de/x"),  # escapes decoded as UTF-8, as a browser does
    ("http://a%2eb.example/", "https://a.b.example/"),
    ("http://\u0391\u03a3-1.gr/", "https://\u03b1\u03c3-1.gr/"),  # a capital sigma is a sigma...
    ("http://\u03b1\u03c2-1.gr/", "https://\u03b1\u03c2-1.gr/"),  # ...and a final sigma another letter
])
def test_the_host_is_the_one_a_browser_opens(url, expected):
    """Worked out by hand from WHATWG's host parser: percent-decode, then map
    with UTS 46 (which lower-cases a capital sigma to a sigma). ``urlsplit``
    lower-cased with ``str.lower``, whose final-sigma rule made the first
    Greek host the second, another site; and a host with escapes was refused."""
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url", ["https://a%zz.example/", "https://b%FFx.example/", "https://a%25b.example/",
                                 "http://[::1]evil.example:8080/x"])
def test_a_host_a_browser_refuses_is_refused(url):
    """A stray ``%``, bytes that are not UTF-8 once decoded, an escaped ``%``, text
    after an IPv6 address's brackets: WHATWG's parser fails on each (the last
    was ``[::1]``, the rest dropped)."""
    with pytest.raises(InvalidURLError, match="not a valid host name"):
        canonical_url(url)


def _spelt(number: int, rng: random.Random) -> str:
    """``number`` in decimal, octal (a leading 0) or hexadecimal (0x, either case)."""
    form = rng.randrange(3)
    if form == 0:
        return str(number)
    if form == 1:
        return "0" + format(number, "o")
    return rng.choice(["0x", "0X"]) + format(number, rng.choice(["x", "X"]))


def test_a_host_spelling_an_ipv4_address_is_that_address():
    """1 to 4 parts, each decimal, octal or hex, the last filling the bytes left:
    the address is the one glibc's ``inet_aton`` reads (the BSD parser whose rules
    WHATWG's IPv4 parser took), and spellings it refuses (a part out of range,
    an octal 8 or 9, five parts) are refused as URLs, as browsers refuse them.
    (Every spelling here ends in a number; a last label such as ``08x1`` is a
    name to a browser, which ``inet_aton`` refuses too.)"""
    import socket

    rng = random.Random(5)
    accepted = refused = 0
    for _ in range(3000):
        count = rng.randint(1, 5)
        parts = [rng.choice([rng.randrange(256), rng.randrange(1 << 8 * rng.randint(1, 4)), 8, 9, 10])
                 for _ in range(count)]
        spelt = [_spelt(n, rng) for n in parts]
        if rng.random() < 0.2:  # an octal part with a digit octal lacks: digits still, so no name
            spelt[rng.randrange(count)] = "0" + format(rng.randrange(256), "o") + rng.choice("89")
        host = ".".join(spelt)
        try:
            expected = socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            expected = None
        url = f"http://{host}/a"
        if expected is None:
            with pytest.raises(InvalidURLError, match="ends in a number but is no IPv4 address"):
                canonical_url(url)
            refused += 1
        else:
            assert canonical_url(url) == f"https://{expected}/a", host
            accepted += 1
    assert accepted > 1000 and refused > 500  # both kinds were tried


@pytest.mark.parametrize("url, expected", [
    ("http://127.0.0.1./x", "https://127.0.0.1/x"),  # a trailing dot, as after a name
    ("http://0x/", "https://0.0.0.0/"),  # "0x" alone is the number 0 (WHATWG)
    ("http://\uff11\uff12\uff17.\uff11/", "https://127.0.0.1/"),  # full-width digits mapped first (UTS 46)
    ("http://0xg.example/", "https://0xg.example/"),  # names: the last label is no number
    ("http://1.example/", "https://1.example/"),
    ("http://example.0xg/", "https://example.0xg/"),
    ("http://0x0x1/", "https://0x0x1/"),  # after its 0x, "0x1" holds an x: no number, a name
])
def test_what_ends_in_a_number_is_read_as_an_address(url, expected):
    """Worked out by hand from WHATWG's "ends in a number" and IPv4 parsers."""
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url", ["http://example.0x/", "http://a.b.09/", "http://1..2/", "http://1.2.3.4.5/",
                                 "http://999.1.1.1/", "http://1.256.1/", "http://4294967296/"])
def test_a_host_ending_in_a_number_that_is_no_address_is_refused(url, tmp_path):
    """Browsers refuse these URLs (WHATWG: a host ending in a number must parse
    as IPv4); the file is rejected with its reason, not built under a name."""
    with pytest.raises(InvalidURLError, match="ends in a number but is no IPv4 address"):
        canonical_url(url)
    (tmp_path / "a.md").write_text(f"---\ntitle: t\nwebUrl: '{url}'\n---\n")
    kg = graph.build([tmp_path])
    assert not kg.articles
    assert [Path(r["path"]).name for r in kg.report.rejected] == ["a.md"]


def test_spellings_of_one_address_are_one_article(tmp_path):
    """Three files, one address spelt three ways: one article from three sources."""
    for i, host in enumerate(["127.0.0.1", "0x7f.1", "2130706433"]):
        (tmp_path / f"{i}.md").write_text(f"---\ntitle: t{i}\nwebUrl: 'http://{host}/story'\n---\n")
    kg = graph.build([tmp_path])
    [article] = kg.articles.values()
    assert article.url == "https://127.0.0.1/story" and len(article.sources) == 3


def test_a_providers_domain_is_mapped_as_its_articles_hosts_are():
    """A domain given in capitals is the host of the provider's URLs (worked out
    by hand as above): it was lower-cased by ``str.lower``, final sigma and all."""
    assert provider_key("\u0391\u03a3-1.GR") == provider_key(None, "http://\u0391\u03a3-1.gr/x") == "\u03b1\u03c3-1.gr"
    assert provider_key("\u03b1\u03c2-1.gr") == "\u03b1\u03c2-1.gr"


def test_a_joiner_is_kept_in_a_host_where_idna_allows_it():
    """A Persian host holds a zero-width non-joiner (U+200C) between letters that
    would join: IDNA 2008 allows it there (RFC 5892, CONTEXTJ), browsers open the
    host with it, and the article was rejected for it. Between Latin letters,
    where no rule allows it, the URL is still refused."""
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.ir"
    assert canonical_url(f"https://{persian}/x") == f"https://{persian}/x"
    assert canonical_url("https://xn--mgbn2ecje63gr19l.ir/x") == f"https://{persian}/x"  # its IDNA spelling
    assert provider_key(None, f"https://{persian}/x") == persian
    for joiner in "\u200c\u200d":
        with pytest.raises(InvalidURLError, match="not a valid host name"):
            canonical_url(f"https://a{joiner}b.example/")


def test_a_skipped_catalogue_file_is_told_why_and_a_value_left_out_is_said(tmp_path):
    """Every skipped catalogue file had one reason, "without name or domain", also
    for a domain written as a number; and of two files describing one node, the
    second's differing name was dropped without a word (and its name was dropped
    too when the first had none)."""
    news, data = _catalogue_tree(tmp_path)
    (news / "a.md").write_text("---\ntitle: A\nwebUrl: https://www.foo.com/a\ntopics: [AI, ML]\n"
                               "provider: {domain: foo.com}\n---\n")
    orgs, topics = data / "organizations", data / "topics"
    (orgs / "five.md").write_text("---\nname: Five\ndomain: 5\n---\n")
    (orgs / "list.md").write_text("---\n- a\n- b\n---\n")
    (orgs / "space.md").write_text("---\ndomain: ' '\n---\n")
    (topics / "dashes.yaml").write_text("name: '--'\n")
    (topics / "person.yaml").write_text("taxonomy: person\nname: Ada\n")
    (orgs / "foo-1.md").write_text("---\nname: Foo Inc\ndomain: foo.com\n---\n")
    (orgs / "foo-2.md").write_text("---\nname: Foo Corp\ndomain: www.foo.com\n---\n")
    (news / "b.md").write_text("---\ntitle: B\nwebUrl: https://bar.com/b\n---\n")
    (orgs / "bar-1.md").write_text("---\ndomain: bar.com\n---\n")
    (orgs / "bar-2.md").write_text("---\nname: Bar\ndomain: bar.com\n---\n")
    (topics / "ai-1.yaml").write_text("name: AI\nkeywords: [a]\n")
    (topics / "ai-2.yaml").write_text("name: ai\nkeywords: [b]\n")  # the same topic, folded
    (topics / "ml-1.yaml").write_text("_id: ML\n")
    (topics / "ml-2.yaml").write_text("name: ML\nhashtags: [ml]\n")
    kg = graph.build([news])
    assert sorted((Path(s["path"]).name, s["reason"]) for s in kg.report.skipped) == [
        ("dashes.yaml", "catalogue topic whose name '--' has no letter, digit or symbol"),
        ("five.md", "catalogue organization whose domain is not a text (5)"),
        ("list.md", "catalogue file holding no fields (a list)"),
        ("person.yaml", "catalogue entry of taxonomy 'person': neither organization nor topic"),
        ("space.md", "catalogue organization whose domain ' ' names no host")]
    names = {p.domain: p.name for p in kg.providers.values()}
    assert names == {"foo.com": "Foo Inc", "bar.com": "Bar"}  # the first file by path wins; a name missing is none
    topics_by_label = {t.label: t for t in kg.topics.values()}
    assert topics_by_label["AI"].keywords == ("a", "b")
    said = sorted((Path(w.path).name, w.message) for w in kg.report.warnings)
    first = {name: str(orgs / name) if name.startswith("foo") else str(topics / name)
             for name in ("foo-1.md", "ai-1.yaml")}
    assert said == [
        ("ai-2.yaml", f"name 'ai' left out: {first['ai-1.yaml']} describes the same topic as 'AI', and comes first"),
        ("foo-2.md", f"name 'Foo Corp' left out: {first['foo-1.md']} describes the same provider as 'Foo Inc', "
                     "and comes first")]
    # ML: the same name both ways (no warning), and the second file's hashtag merged in
    assert topics_by_label["ML"].hashtags == ("ml",)


@pytest.mark.parametrize("url", ["http://b.com:443/x", "HTTP://B.com:443/x/", "https://a.com/x?utm%5Fsource=feed",
                                 "https://a.com/x?%75tm_source=1&id=2", "https://a.com/x?fb%63lid=1#top",
                                 "https://b.com:80/x", "http://b.com:8080/x"])
def test_a_canonical_url_is_its_own_canonical_url(url):
    """http://b.com:443/x was https://b.com:443/x, whose canonical form is https://b.com/x
    (443 is https's port); utm%5Fsource was kept, as decoding escapes came after the
    tracking parameters went. Expected: canonical_url is idempotent, and the port of
    the scheme it becomes, and a tracking name however escaped, are gone."""
    once = canonical_url(url)
    assert canonical_url(once) == once
    parts = urlsplit(once)
    assert parts.port in (None, 80, 8080) and (parts.port != 80 or urlsplit(url).scheme.lower() == "https")
    names = [p.split("=", 1)[0] for p in parts.query.split("&") if p]
    assert not [n for n in names if n.startswith("utm_") or n == "fbclid"], once


def test_spellings_of_one_url_are_one_article_found_by_its_own_url(tmp_path):
    write(tmp_path, "c.md", title='"C"', webUrl='"http://b.com:443/x"')
    write(tmp_path, "e.md", title='"E"', webUrl='"https://b.com/x"')
    write(tmp_path, "a.md", title='"A"', webUrl='"https://a.com/x?utm%5Fsource=feed"')
    write(tmp_path, "b.md", title='"B"', webUrl='"https://a.com/x"')
    kg = graph.build([tmp_path])
    assert len(kg.articles) == 2 and len(kg.report.duplicates_merged) == 2
    for article in kg.articles.values():
        assert kg.article_by_url(article.url) is article
        assert len(article.files) == 2


def test_a_files_own_provider_name_is_not_replaced_by_a_stubs_domain(tmp_path):
    """A file naming its provider without a domain ("N Daily") became, once another
    file listed it as a related stub of syn.com, an article of syn.com, "N Daily"
    nowhere. Expected, by the README's rules (files before stubs; a missing domain is
    the URL's host): provider n.com, named N Daily; without a provider at all, the
    first record that names one (the stub) gives it."""
    write(tmp_path, "full.md", title='"One"', webUrl='"https://n.com/story/1"', provider='{name: "N Daily"}')
    write(tmp_path, "lister.md", title='"L"', webUrl='"https://l.com/1"', provider='{name: L, domain: l.com}',
          related='[{title: "One", webUrl: "https://n.com/story/1", provider: {name: Syndicator, domain: syn.com}}]')
    kg = graph.build([tmp_path])
    one = kg.articles[article_id("https://n.com/story/1")]
    assert one.provider_id == "provider/n.com" and kg.providers["provider/n.com"].name == "N Daily"
    write(tmp_path, "full.md", title='"One"', webUrl='"https://n.com/story/1"')
    kg = graph.build([tmp_path])
    assert kg.articles[article_id("https://n.com/story/1")].provider_id == "provider/syn.com"


@pytest.mark.parametrize("domain", ["example.com:443", "https://example.com:443/", "EXAMPLE.com:8080/news",
                                    "user@example.com", "www.example.com:443"])
def test_a_provider_domain_is_its_host_alone(domain):
    """example.com:443 was a provider of its own beside example.com, with no warning."""
    assert provider_key(domain) == provider_key("example.com") == "example.com"
