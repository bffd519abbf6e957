"""Deterministic synthetic news corpora that look like the real one.

:func:`generate` writes ``n_articles`` article files (Markdown with YAML front
matter, the same layout as ``../shared/corpus/azure/news``) into
``out_dir/news/`` and, by default, copies the real provider and topic
catalogue into ``out_dir/data/``. Every distribution is sampled from the real
corpus (:func:`profile`): related-list lengths, which optional fields are
present, topics per article and their names, providers (name and domain,
weighted by use), quality and heat values (``heat: -1`` included), image
counts and sizes, title and excerpt lengths, the share of files that repeat
another file's ``webUrl`` (duplicates), and how often a ``related`` stub points
at an article that is also a file versus a stub-only URL. Text is word salad
drawn from the corpus's vocabulary, so no real title or excerpt is copied.

The same ``(n_articles, seed)`` and the same real corpus always give
byte-identical files.

Usage::

    python3 tests/benchmarks/synth.py 10000 /tmp/synth10k [--seed 0]

or from Python::

    from tests.benchmarks.synth import generate   # or: sys.path + import synth
    generate(10_000, "/tmp/synth10k", seed=0)
"""

from __future__ import annotations

import argparse
import base64
import bisect
import datetime as dt
import functools
import itertools
import json
import os
import re
import shutil
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["generate", "profile", "default_corpus_dir"]

_FENCE = re.compile(r"\A---\n(.*?)\n---", re.S)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]{1,20}")


def default_corpus_dir() -> Path:
    """The real corpus, as located by ``tests/conftest.py`` (its one definition)."""
    tests = Path(__file__).resolve().parent.parent
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    from conftest import CORPUS_DIR  # noqa: PLC0415 - the corpus path lives only there

    return Path(CORPUS_DIR)


def _load(text: str) -> Any:
    try:
        import yaml_rs

        return yaml_rs.loads(text)
    except ImportError:  # pragma: no cover
        import yaml

        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _article_files(corpus: Path) -> list[Path]:
    files = [p for p in corpus.rglob("*") if p.suffix in (".md", ".txt") and p.is_file()
             and "data" not in p.relative_to(corpus).parts]
    return sorted(files)


def _table(counter: Counter) -> list[list]:
    """A Counter as ``[[value, count], ...]`` in a stable order."""
    return sorted(([k, v] for k, v in counter.items()), key=lambda kv: (-kv[1], json.dumps(kv[0])))


@functools.lru_cache(maxsize=4)
def profile(corpus: str | os.PathLike | None = None) -> dict:
    """Empirical distributions of the real corpus's article files.

    Returns a JSON-able dict: presence rates of every optional field, samples
    (for sampling with replacement) of list lengths and numbers, weighted
    tables of categorical values, and the duplicate and related-target rates.
    """
    corpus = Path(corpus) if corpus is not None else default_corpus_dir()
    files = _article_files(corpus)
    if not files:
        raise FileNotFoundError(f"no article files under {corpus}")
    present: Counter = Counter()
    stub_present: Counter = Counter()
    cats, types, published, topics, providers, stub_providers = (Counter() for _ in range(6))
    words: Counter = Counter()
    samples: dict[str, list] = {k: [] for k in (
        "related_len", "topics_len", "images_len", "quality", "heat", "stub_quality", "title_words",
        "excerpt_chars", "secured_chars", "image_size", "stub_images_len")}
    dates = []
    seen_urls: set[str] = set()
    duplicates = 0
    file_urls: set[str] = set()
    stub_urls: Counter = Counter()
    n = 0
    for path in files:
        m = _FENCE.match(path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n"))
        if not m:
            continue
        d = _load(m.group(1))
        if not isinstance(d, dict) or not d.get("title"):
            continue
        n += 1
        present.update(k for k, v in d.items() if v is not None)
        url = d.get("webUrl") or d.get("originalUrl")
        if url in seen_urls:
            duplicates += 1
        seen_urls.add(url)
        file_urls.add(url)
        cats[d.get("category")] += 1
        types[d.get("type")] += 1
        published[d.get("published")] += 1
        p = d.get("provider") or {}
        providers[(p.get("name"), p.get("domain"))] += 1
        ts = d.get("topics") or []
        samples["topics_len"].append(len(ts))
        topics.update(ts)
        ims = d.get("images") or []
        samples["images_len"].append(len(ims))
        samples["image_size"].extend([i.get("width"), i.get("height")] for i in ims if isinstance(i, dict))
        samples["quality"].append(d.get("quality"))
        samples["heat"].append(d.get("heat"))
        title, excerpt = str(d.get("title")), str(d.get("excerpt") or "")
        samples["title_words"].append(len(title.split()))
        samples["excerpt_chars"].append(len(excerpt))
        samples["secured_chars"].append(len(str(d.get("secured") or "")))
        words.update(_WORD.findall(title))
        words.update(_WORD.findall(excerpt))
        pd = d.get("publishedDateTime")
        if isinstance(pd, dt.datetime):
            dates.append(pd.timestamp())
        related = d.get("related")
        samples["related_len"].append(len(related) if isinstance(related, list) else -1)
        for s in related if isinstance(related, list) else ():
            stub_present.update(k for k, v in s.items() if v is not None)
            stub_urls[s.get("webUrl")] += 1
            sp = s.get("provider") or {}
            stub_providers[(sp.get("name"), sp.get("domain"))] += 1
            samples["stub_quality"].append(s.get("quality"))
            samples["stub_images_len"].append(len(s.get("images") or []))
    n_stubs = sum(stub_urls.values())
    stub_only = [u for u in stub_urls if u not in file_urls]
    return {
        "files": n,
        "present": {k: v / n for k, v in sorted(present.items())},
        "stub_present": {k: v / max(1, n_stubs) for k, v in sorted(stub_present.items())},
        "category": _table(cats), "type": _table(types), "published": _table(published),
        "topics": _table(topics), "providers": _table(providers),
        "stub_providers": _table(stub_providers),
        "vocabulary": _table(Counter(dict(words.most_common(4000)))),
        "samples": samples,
        "date_range": [min(dates), max(dates)],
        "duplicate_rate": duplicates / n,
        # share of stubs whose URL is also an article file, and how many
        # stub-only URLs exist per file (the pool size scales with n).
        "stub_to_file_rate": sum(c for u, c in stub_urls.items() if u in file_urls) / max(1, n_stubs),
        "stub_only_urls_per_file": len(stub_only) / n,
    }


class _Weighted:
    """Fast weighted choice from a ``[[value, weight], ...]`` table."""

    def __init__(self, table: list[list]) -> None:
        self.values = [v for v, _ in table]
        self.cum = list(itertools.accumulate(w for _, w in table))

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]

    def many(self, rng: random.Random, k: int) -> list:
        return rng.choices(self.values, cum_weights=self.cum, k=k)


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _slug(words: list[str]) -> str:
    return "-".join(w.lower().replace("'", "").strip("-") for w in words[:8]) or "article"


def generate(n_articles: int, out_dir: str | os.PathLike, seed: int = 0, *,
             corpus: str | os.PathLike | None = None, catalog: bool = True) -> Path:
    """Write a synthetic corpus of ``n_articles`` files into ``out_dir``.

    Parameters
    ----------
    n_articles : int
        Number of article files to write (duplicates included).
    out_dir : path
        Target folder; ``news/`` (and ``data/`` with ``catalog``) are created
        in it, replacing earlier generated ones.
    seed : int
        Random seed; same seed, same bytes.
    corpus : path, optional
        The real corpus to sample (default: the one ``tests/conftest.py`` names).
    catalog : bool
        Copy the real ``azure/data`` catalogue into ``out_dir/data``.

    Returns
    -------
    Path
        ``out_dir``.
    """
    prof = profile(os.fspath(corpus) if corpus is not None else None)
    rng = random.Random(seed)
    out = Path(out_dir)
    news = out / "news"
    if news.exists():
        shutil.rmtree(news)
    news.mkdir(parents=True)
    if catalog:
        src = Path(corpus) if corpus is not None else default_corpus_dir()
        if (src / "azure" / "data").is_dir():
            if (out / "data").exists():
                shutil.rmtree(out / "data")
            shutil.copytree(src / "azure" / "data", out / "data")

    s = prof["samples"]
    pres = prof["present"]
    spres = prof["stub_present"]
    vocab = _Weighted(prof["vocabulary"])
    pick_provider = _Weighted(prof["providers"])
    pick_topic = _Weighted(prof["topics"])
    pick_cat, pick_type, pick_pub = (_Weighted(prof[k]) for k in ("category", "type", "published"))
    t0, t1 = prof["date_range"]

    def sentence(n_words: int) -> list[str]:
        return vocab.many(rng, max(1, n_words))

    # Pass 1: the identity of every article that can be a related target:
    # the n files (minus duplicates, which reuse an earlier URL) and a pool of
    # stub-only URLs, scaled like the real corpus's.
    n_pool = max(1, round(prof["stub_only_urls_per_file"] * n_articles))
    targets: list[tuple] = []  # (url, title, excerpt, date, provider, is_file)
    stub_extra: list[list[str]] = []  # what a stub of target i adds (one fixed text per target,
    # as in the real corpus, where copies of one stub are nearly always identical)
    for i in range(n_articles + n_pool):
        words = sentence(rng.choice(s["title_words"]))
        excerpt = " ".join(sentence(max(1, rng.choice(s["excerpt_chars"]) // 7)))
        name, domain = pick_provider(rng)
        domain = domain or "example.com"
        when = dt.datetime.fromtimestamp(t0 + rng.random() * (t1 - t0), dt.timezone.utc).replace(microsecond=0)
        url = f"https://{'www.' if rng.random() < 0.5 else ''}{domain}/synth/{i:07d}/{_slug(words)}/"
        targets.append((url, " ".join(words), excerpt, when, (name, domain), i < n_articles))
        stub_extra.append([])
    files_targets = targets[:n_articles]
    dup_rate = prof["duplicate_rate"]
    p_file = prof["stub_to_file_rate"]

    def image_lines(indent: str, k: int, key: str = "images") -> list[str]:
        if k <= 0:
            return []
        out_lines = [f"{indent}{key}:"]
        for _ in range(k):
            w, h = rng.choice(s["image_size"]) if s["image_size"] else (None, None)
            out_lines.append(f"{indent}  - url: {_q('https://img.example.net/' + format(rng.getrandbits(48), 'x') + '.jpg')}")
            if w is not None:
                out_lines.append(f"{indent}    width: {w}")
            if h is not None:
                out_lines.append(f"{indent}    height: {h}")
        return out_lines

    for i, (url, _, _, _, (r_name, r_domain), _) in enumerate(targets):
        extra = stub_extra[i]
        if rng.random() < spres.get("ampWebUrl", 0):
            extra += [f"    ampWebUrl: {_q(url + 'amp')}",
                      f"    cdnAmpWebUrl: {_q(url.replace('https://', 'https://cdn.ampproject.org/c/s/') + 'amp')}"]
        extra += ["    provider:", f"      name: {_q(r_name or r_domain)}", f"      domain: {r_domain}",
                  f"    quality: {rng.choice(s['stub_quality'])}"]
        if rng.random() < spres.get("images", 0):
            extra += image_lines("    ", max(1, rng.choice(s["stub_images_len"])))

    for i in range(n_articles):
        url, title, excerpt, when, (pname, pdomain), _ = files_targets[i]
        if i > 0 and rng.random() < dup_rate:
            # The same article in a second file: same URL, another date.
            url, title, excerpt, _, (pname, pdomain), _ = files_targets[rng.randrange(i)]
            when = when + dt.timedelta(days=rng.randint(1, 30))
        lines = ["---", f"category: {pick_cat(rng)}", f"title: {_q(title)}", f"excerpt: {_q(excerpt)}",
                 f"publishedDateTime: {when.strftime('%Y-%m-%dT%H:%M:%SZ')}"]
        has_web = rng.random() < pres.get("webUrl", 1)
        if has_web:
            lines.append(f"webUrl: {_q(url)}")
        if not has_web or rng.random() < pres.get("originalUrl", 0):
            lines.append(f"originalUrl: {_q(url if not has_web else url + '?orig=1')}")
        if rng.random() < pres.get("ampWebUrl", 0):
            lines.append(f"ampWebUrl: {_q(url + 'amp')}")
            lines.append(f"cdnAmpWebUrl: {_q(url.replace('https://', 'https://cdn.ampproject.org/c/s/') + 'amp')}")
        lines += [f"type: {pick_type(rng)}", f"quality: {rng.choice(s['quality'])}",
                  f"heat: {rng.choice(s['heat'])}", f"published: {str(pick_pub(rng)).lower()}", ""]
        if rng.random() < pres.get("featuredContent", 0):
            lines += [f"featuredContent: {_q('<iframe src=' + chr(34) + url + chr(34) + '></iframe>')}", ""]
        lines += ["provider:", f"  name: {_q(pname or pdomain)}", f"  domain: {pdomain}", ""]
        topics = list(dict.fromkeys(pick_topic(rng) for _ in range(rng.choice(s["topics_len"]))))
        lines += ["topics:"] + [f"  - {_q(t)}" for t in topics] + [""] if topics else []
        if rng.random() < pres.get("images", 0):
            lines += image_lines("", max(1, rng.choice(s["images_len"]))) + [""]
        n_related = rng.choice(s["related_len"])
        if n_related >= 0:
            lines.append("related:" if n_related else "related: []")
            for _ in range(n_related):
                t = rng.randrange(n_articles) if rng.random() < p_file else n_articles + rng.randrange(n_pool)
                r_url, r_title, r_excerpt, r_when, _, _ = targets[t]
                lines += [f"  - title: {_q(r_title)}", f"    excerpt: {_q(r_excerpt)}",
                          f"    publishedDateTime: {r_when.strftime('%Y-%m-%dT%H:%M:%SZ')}",
                          f"    webUrl: {_q(r_url)}", "    type: article"]
                lines += stub_extra[t]
            lines.append("")
        secured = base64.b64encode(rng.randbytes(max(3, rng.choice(s["secured_chars"]) * 3 // 4))).decode()
        lines += [f"secured: {_q(secured)}", "---", ""]
        name = f"{when.strftime('%Y-%m-%d')}-{i:07d}-{_slug(title.split())[:60]}.md"
        with open(news / name, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n_articles", type=int)
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-catalog", action="store_true", help="do not copy the real catalogue into data/")
    args = ap.parse_args(argv)
    generate(args.n_articles, args.out_dir, args.seed, catalog=not args.no_catalog)


if __name__ == "__main__":
    main()
