"""Building the graph: read -> resolve -> :class:`KnowledgeGraph`.

:func:`build` is the library's main entry point (``graph.build``). It scans the
inputs, reads every file (in parallel with ``jobs`` > 1: the output does not
depend on it), resolves identities, applies catalogues and returns a
:class:`KnowledgeGraph` holding the entities, the build report and, on demand,
a networkx ``MultiDiGraph``.
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # networkx takes ~0.5 s to import: only when a graph is asked for
    import networkx as nx

    from .cache import BackgroundWrites, CacheStats

from .catalog import enrich, find_catalogs, is_catalog_folder, load_catalogs
from .errors import ArgumentTypeError, UnknownIdError, by_reason, check_count, check_flag
from .children import die_with_parent, let_through, signals_held, usable_cores
from .gc_pause import gc_paused
from .model import EDGE_KINDS, Article, Image, Provider, Topic, clear_stub_memo
from .reader import NO_SUCH_FILE, ParsedFile, chunked, iter_read, scan, shown_path
from .report import BuildReport, counted
from .resolve import merged_duplicates, resolve

__all__ = ["KnowledgeGraph", "build", "to_networkx", "report_of", "MissingInputWarning", "ProgressCallback"]

#: ``callback(done, total)`` called as files are read.
ProgressCallback = Callable[[int, int], None]

# Below this many files a process pool costs more than it saves.
_PARALLEL_MIN_FILES = 400


@dataclass
class KnowledgeGraph:
    """A resolved news knowledge graph.

    Attributes
    ----------
    articles, providers, topics : dict
        Entities by node id, sorted by id.
    report : BuildReport
        What the build read, merged, skipped and rejected.
    """

    articles: dict[str, Article]
    providers: dict[str, Provider]
    topics: dict[str, Topic]
    report: BuildReport = field(default_factory=BuildReport)
    _nx: nx.MultiDiGraph | None = field(default=None, repr=False, compare=False)

    @property
    def nx(self) -> nx.MultiDiGraph:
        """The whole graph as a networkx ``MultiDiGraph`` (built once, then cached).

        Nodes carry ``kind`` (``article``, ``provider``, ``topic``) and
        ``label``; edges carry ``kind`` (``published_by``, ``about``,
        ``related``), which is also the edge key.
        """
        if self._nx is None:
            self._nx = to_networkx(self)
        return self._nx

    def edge_groups(self) -> Iterator[tuple[str, str, tuple[str, ...]]]:
        """Every edge, grouped: ``(source id, kind, target ids)`` per article and
        kind, in the order of :meth:`edges` (empty groups left out).

        Bulk writers join or count a group's targets at once instead of taking
        a step per edge: a step touches the target id, somewhere in a heap
        larger than the CPU cache (20 ns per edge at 10,000 synthetic articles,
        105 ns at 100,000).
        """
        for a in self.articles.values():
            if a.provider_id:
                yield a.id, "published_by", (a.provider_id,)
            if a.topic_ids:
                yield a.id, "about", a.topic_ids
            if a.related_ids:
                yield a.id, "related", a.related_ids

    def edges(self) -> Iterator[tuple[str, str, str]]:
        """Every edge as ``(source id, target id, kind)``, in a stable order."""
        for source, kind, targets in self.edge_groups():
            for target in targets:
                yield source, target, kind

    def edge_counts(self) -> dict[str, int]:
        """The number of edges of each kind (those :meth:`edges` yields), from
        the groups' sizes (1.1 s -> 0.15 s at 100,000 articles).

        >>> kg = build(["seeds/"])
        >>> from collections import Counter
        >>> kg.edge_counts() == dict(Counter(kind for _, _, kind in kg.edges()))
        True
        """
        counts = dict.fromkeys(EDGE_KINDS, 0)
        for _, kind, targets in self.edge_groups():
            counts[kind] += len(targets)
        return counts

    def article_by_url(self, url: str) -> Article | None:
        """The article whose canonical URL or alias is ``url`` (any spelling).

        Raises
        ------
        ArgumentTypeError
            ``url`` is not text (a ``TypeError`` too).
        InvalidURLError
            ``url`` is no absolute http(s) URL (a ``ValueError`` too).
        """
        from .resolve import article_id, canonical_url

        if not isinstance(url, str):
            raise ArgumentTypeError(f"expected a URL (text), got {type(url).__name__}")
        key = canonical_url(url)
        found = self.articles.get(article_id(key))
        if found is not None:
            return found
        for a in self.articles.values():
            if key in a.aliases:
                return a
        return None

    def __repr__(self) -> str:
        r = self.report
        return (f"<KnowledgeGraph: {counted(len(self.articles), 'article')} ({counted(r.articles_stub, 'stub')}), "
                f"{counted(len(self.providers), 'provider')}, {counted(len(self.topics), 'topic')}>")

    @classmethod
    def deferred(cls, report: BuildReport,
                 load: Callable[[], tuple[dict[str, Article], dict[str, Provider], dict[str, Topic]]],
                 load_providers_and_topics: Callable[[], tuple[dict[str, Provider], dict[str, Topic]]]
                 | None = None) -> "KnowledgeGraph":
        """A graph whose entities ``load()`` returns when first used.

        What a build served from its snapshot (:class:`graph.cache.GraphSnapshot`)
        returns: when the exports are current too, only the report is needed,
        and unpickling the entities was a quarter of such a build (0.07 of
        0.3 s on the real corpus). With ``load_providers_and_topics``, those
        two are loaded alone when used before the articles.

        >>> kg = KnowledgeGraph.deferred(BuildReport(), lambda: ({}, {}, {"topic/x": None}))
        >>> "articles" in vars(kg), list(kg.topics), "articles" in vars(kg)
        (False, ['topic/x'], True)
        >>> kg = KnowledgeGraph.deferred(BuildReport(), lambda: ({"a": 1}, {}, {}), lambda: ({}, {"t": 2}))
        >>> list(kg.topics), "articles" in vars(kg), list(kg.articles)
        (['t'], False, ['a'])
        """
        kg = cls.__new__(cls)
        kg.report = report
        kg.__dict__["_load_entities"] = load
        if load_providers_and_topics is not None:
            kg.__dict__["_load_providers_and_topics"] = load_providers_and_topics
        return kg

    def subgraph(self, article_ids: Iterable[str]) -> "KnowledgeGraph":
        """The part of the graph made of the articles ``article_ids``: each
        with its provider and topics, and the related links among them (those
        to articles left out are dropped, as a file of their own would lack
        them). Its report holds the counts the part has (see :func:`graph.load`
        without ``report.json``); it can be exported and loaded back.

        Raises
        ------
        UnknownIdError
            Naming the first id that is not an article of the graph (a ``KeyError`` too).
        ArgumentTypeError
            When ``article_ids`` is not an id or an iterable of ids.

        Examples
        --------
        >>> kg = build(["seeds/"])
        >>> security = [a.id for a in kg.articles.values() if "topic/security" in a.topic_ids]
        >>> part = kg.subgraph(security)
        >>> sorted(part.articles) == sorted(security), set(part.nx) <= set(kg.nx)
        (True, True)
        >>> all(set(a.related_ids) <= set(part.articles) for a in part.articles.values())
        True
        """
        import dataclasses

        if isinstance(article_ids, (bytes, bytearray)):  # its numbers were taken for ids
            raise ArgumentTypeError(f"article_ids must be an article id (text) or an iterable of them, not "
                                    f"{type(article_ids).__name__}")
        try:
            keep = {article_ids} if isinstance(article_ids, str) else set(article_ids)  # one id, not its letters
        except TypeError as err:  # None, a number: "'NoneType' object is not iterable"
            raise ArgumentTypeError(f"article_ids must be an article id or an iterable of them, not "
                                    f"{article_ids!r}") from err
        missing = sorted(keep - self.articles.keys(), key=str)
        if missing:
            raise UnknownIdError(f"not an article of this graph: {missing[0]!r}"
                                 + (f" (and {len(missing) - 1:,} more)" if len(missing) > 1 else ""))
        articles = {}
        for i in sorted(keep):
            a = self.articles[i]
            related = tuple(r for r in a.related_ids if r in keep)
            articles[i] = a if related == a.related_ids else dataclasses.replace(a, related_ids=related)
        used_providers = {a.provider_id for a in articles.values()}
        used_topics = {t for a in articles.values() for t in a.topic_ids}
        part = KnowledgeGraph(articles, {i: p for i, p in self.providers.items() if i in used_providers},
                              {i: t for i, t in self.topics.items() if i in used_topics})
        part.report = report_of(part)
        return part

    def dangling(self) -> tuple[str, str, str] | None:
        """The first edge ``(source, kind, target)`` whose target is not a
        node of the graph, or ``None``. A graph put together by hand (not by
        :func:`build`, :func:`graph.load` or :meth:`subgraph`) may have one;
        its exports would name a node they do not hold.

        >>> kg = build(["seeds/"])
        >>> kg.dangling() is None
        True
        >>> a = next(a for a in kg.articles.values() if a.related_ids)
        >>> KnowledgeGraph({a.id: a}, kg.providers, kg.topics).dangling()[1]  # its related articles left out
        'related'
        """
        # set.issuperset per group runs over the targets in C (2.8 million edges at 100,000
        # synthetic articles: a step per edge in Python took 0.5-0.8 s)
        pools = {"related": set(self.articles), "published_by": set(self.providers), "about": set(self.topics)}
        for source, kind, targets in self.edge_groups():
            pool = pools[kind]
            if not pool.issuperset(targets):
                return source, kind, next(t for t in targets if t not in pool)
        return None

    def replace_articles(self, articles: Iterable[Article]) -> None:
        """Put each of ``articles`` in place of the article with its id (in
        its place in :attr:`articles`), now or, in a graph whose entities are
        not loaded yet, when they are (:mod:`graph.incremental`, whose changes
        keep the graph's shape). The report's counts follow the articles (its
        edges too: exports written after a change of related articles were
        refused by :func:`graph.load`, their report counting the old edges).

        Raises
        ------
        ArgumentTypeError
            One of ``articles`` is not an :class:`~graph.model.Article`.
        UnknownIdError
            One's id is no article of this graph (checked when the articles
            are loaded, in a graph whose entities are not).
        """
        if isinstance(articles, (str, bytes, Article)) or not isinstance(articles, Iterable):
            raise ArgumentTypeError(f"replace_articles takes articles (a list of them), not {type(articles).__name__}")
        articles = list(articles)
        wrong = next((a for a in articles if not isinstance(a, Article)), None)
        if wrong is not None:
            raise ArgumentTypeError(f"replace_articles takes articles, not {type(wrong).__name__}: {wrong!r:.80}")
        self._nx = None  # built again from the articles as they now are, when asked for
        load = self.__dict__.get("_load_entities")
        if load is None:
            _put_in_place(self.articles, articles)
            counts = report_of(self, counts_only=True)
            for name in ("articles", "articles_full", "articles_stub", "providers", "topics", "edges"):
                setattr(self.report, name, getattr(counts, name))
            return

        def load_replaced() -> tuple[dict[str, Article], dict[str, Provider], dict[str, Topic]]:
            loaded, providers, topics = load()
            _put_in_place(loaded, articles)
            return loaded, providers, topics

        self.__dict__["_load_entities"] = load_replaced

    def __getattr__(self, name: str) -> Any:
        # Reached only for attributes the instance lacks: the entities of a
        # deferred graph before their first use. Under a lock: a build's
        # snapshot may be written by a thread that loads them while this one
        # asks for them (graph.cache.BackgroundWrites).
        if name in _ENTITY_FIELDS:
            with _DEFERRED_LOAD:
                if name in self.__dict__:  # loaded by another thread meanwhile
                    return self.__dict__[name]
                # Each set in one dict update: another thread, or a process
                # forked meanwhile, sees all of them or none.
                light = self.__dict__.get("_load_providers_and_topics") if name != "articles" else None
                if light is not None:
                    providers, topics = light()
                    self.__dict__.update(providers=providers, topics=topics)
                    del self.__dict__["_load_providers_and_topics"]
                    return self.__dict__[name]
                load = self.__dict__.get("_load_entities")
                if load is not None:
                    loaded = dict(zip(("articles", "providers", "topics"), load()))
                    loaded.update((key, self.__dict__[key]) for key in ("providers", "topics")
                                  if key in self.__dict__)  # loaded already: kept
                    self.__dict__.update(loaded)
                    del self.__dict__["_load_entities"]
                    self.__dict__.pop("_load_providers_and_topics", None)
                    return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self) -> dict[str, Any]:
        with _DEFERRED_LOAD:  # not half way through another thread's load
            if "_load_entities" in self.__dict__:
                self.articles  # noqa: B018 - loads the entities: the loader does not pickle
            return dict(self.__dict__)


_ENTITY_FIELDS = frozenset({"articles", "providers", "topics"})
_DEFERRED_LOAD = threading.RLock()  # see KnowledgeGraph.__getattr__


def _new_deferred_load_lock() -> None:
    # A process forked while another thread held the lock would wait for it for ever.
    global _DEFERRED_LOAD
    _DEFERRED_LOAD = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_deferred_load_lock)


def _images(images: tuple[Image, ...]) -> list[dict]:
    # What dataclasses.asdict gives (the fields hold no containers), 5x faster.
    return [{"url": i.url, "width": i.width, "height": i.height} for i in images]


#: The node attributes of each kind of node (networkx's, ``graph.json``'s) after
#: ``kind`` and ``label``, in order, as ``(attribute, the entity's field, how it is
#: held)``: ``"value"`` as it is, ``"list"`` a list of the field's tuple, ``"images"``
#: a list of ``{url, width, height}``, ``"date"`` a date or date-time (ISO 8601 text in
#: ``graph.json``). The one schema that :func:`article_attributes` and the others write
#: and :func:`graph.load` reads back. A topic's ``label`` is its own field; an
#: article's (title, else URL) and a provider's (its name) are made from others.
NODE_ATTRIBUTES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "article": (
        ("url", "url", "value"), ("stub", "is_stub", "value"), ("title", "title", "value"),
        ("excerpt", "excerpt", "value"), ("published", "published", "date"), ("type", "type", "value"),
        ("category", "category", "value"), ("quality", "quality", "value"), ("heat", "heat", "value"),
        ("is_published", "is_published", "value"), ("removed", "removed", "value"),
        ("web_url", "web_url", "value"), ("original_url", "original_url", "value"),
        ("amp_url", "amp_url", "value"), ("cdn_amp_url", "cdn_amp_url", "value"),
        ("aliases", "aliases", "list"), ("images", "images", "images"),
        ("featured_content", "featured_content", "value"), ("provider", "provider_id", "value"),
        ("topics", "topic_ids", "list"), ("sources", "sources", "list"), ("files", "files", "list"),
    ),
    "provider": (
        ("name", "name", "value"), ("domain", "domain", "value"), ("alt_names", "alt_names", "list"),
        ("images", "images", "images"), ("catalog", "catalog", "value"),
    ),
    "topic": (
        ("label", "label", "value"), ("key", "key", "value"), ("alt_labels", "alt_labels", "list"),
        ("keywords", "keywords", "list"), ("hashtags", "hashtags", "list"), ("images", "images", "images"),
        ("catalog", "catalog", "value"),
    ),
}
#: The attributes a node of each kind must have (:func:`graph.load` refuses a file without them).
REQUIRED_NODE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "article": ("url", "stub"), "provider": ("name", "domain"), "topic": ("label", "key")}


def _attribute_writer(kind: str) -> Callable[[Any, Any], dict[str, Any]]:
    """``attributes(entity, label)``: the attributes of a node of ``kind``, per
    :data:`NODE_ATTRIBUTES`, every field read by one ``attrgetter`` call
    (``graph.json`` holds 125,000 articles at 100k)."""
    from operator import attrgetter

    schema = NODE_ATTRIBUTES[kind]
    names = tuple(name for name, _, _ in schema)
    values = attrgetter(*(f for _, f, _ in schema))
    lists = tuple(name for name, _, held in schema if held == "list")
    images = tuple(name for name, _, held in schema if held == "images")

    def attributes(entity: Any, label: Any) -> dict[str, Any]:
        attrs = {"kind": kind, "label": label}  # a topic's label is then set again, from its field
        attrs.update(zip(names, values(entity)))
        for name in lists:
            attrs[name] = list(attrs[name])
        for name in images:
            attrs[name] = _images(attrs[name])
        return attrs

    return attributes


_ARTICLE_ATTRIBUTES = _attribute_writer("article")
_PROVIDER_ATTRIBUTES = _attribute_writer("provider")
_TOPIC_ATTRIBUTES = _attribute_writer("topic")


def article_attributes(a: Article) -> dict[str, Any]:
    """Node attributes of an article (networkx's and ``graph.json``'s; see :data:`NODE_ATTRIBUTES`)."""
    return _ARTICLE_ATTRIBUTES(a, a.title or a.url)


def provider_attributes(p: Provider) -> dict[str, Any]:
    """Node attributes of a provider (see :data:`NODE_ATTRIBUTES`)."""
    return _PROVIDER_ATTRIBUTES(p, p.name)


def topic_attributes(t: Topic) -> dict[str, Any]:
    """Node attributes of a topic (see :data:`NODE_ATTRIBUTES`); its ``label`` is its own field."""
    return _TOPIC_ATTRIBUTES(t, t.label)


class MissingInputWarning(UserWarning):
    """An input or catalogue path given to :func:`build` does not exist."""


def _put_in_place(held: dict[str, Article], articles: list[Article]) -> None:
    unknown = [a.id for a in articles if a.id not in held]
    if unknown:
        more = f" (and {len(unknown) - 1:,} more)" if len(unknown) > 1 else ""
        raise UnknownIdError(f"not an article of this graph: {unknown[0]}{more}; replace_articles replaces articles, "
                             "it does not add them")
    for a in articles:
        held[a.id] = a


def report_of(kg: KnowledgeGraph, *, counts_only: bool = False) -> BuildReport:
    """What a graph tells of the build that made it, without that build's
    report: its counts and (unless ``counts_only``) its article files and the
    articles merged from several files (as :func:`graph.resolve.resolve`
    lists them); not what was skipped, rejected or warned about (``graph_only``).

    >>> kg = build(["seeds/"])
    >>> again = report_of(kg)
    >>> (again.articles, again.article_files, again.duplicates_merged) == (
    ...     kg.report.articles, kg.report.article_files, kg.report.duplicates_merged)
    True
    """
    articles = kg.articles
    report = BuildReport(graph_only=True)
    report.articles = len(articles)
    report.articles_stub = sum(a.is_stub for a in articles.values())
    report.articles_full = report.articles - report.articles_stub
    report.providers, report.topics, report.edges = len(kg.providers), len(kg.topics), kg.edge_counts()
    if counts_only:
        return report
    report.article_files = len({f for a in articles.values() for f in a.files})
    report.duplicates_merged = merged_duplicates(articles.values())
    return report


def to_networkx(kg: KnowledgeGraph) -> nx.MultiDiGraph:
    """The knowledge graph as a networkx ``MultiDiGraph``; see :attr:`KnowledgeGraph.nx`."""
    import networkx as nx

    g = nx.MultiDiGraph()
    g.add_nodes_from((p.id, provider_attributes(p)) for p in kg.providers.values())
    g.add_nodes_from((t.id, topic_attributes(t)) for t in kg.topics.values())
    g.add_nodes_from((a.id, article_attributes(a)) for a in kg.articles.values())
    g.add_edges_from((s, d, k, {"kind": k}) for s, d, k in kg.edges())
    return g


_sent_stubs: Any = None  # this worker's graph.cache.SentStubs


def _read_chunk(chunk: list[tuple[str, bool]], fast: bool) -> bytes:
    from .cache.packs import SentStubs, encode_pack, pack

    global _sent_stubs
    if _sent_stubs is None or _sent_stubs.pid != os.getpid():  # not one inherited by fork
        _sent_stubs = SentStubs()
    # Packed: each distinct related stub is pickled once per worker, not once
    # per copy (most of the cost of sending results back to the parent).
    # Pickled here rather than by the pool: the reading process keeps these
    # bytes as they are for the file cache (graph.cache.FileCache.read).
    return encode_pack(pack(list(iter_read(chunk, fast=fast)), _sent_stubs))


#: The most reading workers per core, whatever ``jobs`` asks for.
MAX_JOBS_PER_CORE = 4


def _read_all(files: list[tuple[str, bool]], jobs: int, fast: bool,
              progress: ProgressCallback | None,
              on_pack: Callable[[bytes, list[ParsedFile]], None] | None = None, *,
              pool_from: int = _PARALLEL_MIN_FILES) -> Iterator[ParsedFile]:
    """The files read in order, by a process pool when it pays (``pool_from`` files
    or more); ``on_pack(blob, parsed)`` is given each pickled pack the pool sends,
    with its files."""
    total = len(files)
    if jobs <= 1 or total < pool_from:
        for i, parsed in enumerate(iter_read(files, fast=fast), 1):
            yield parsed
            if progress and (i % 50 == 0 or i == total):
                progress(i, total)
        return
    # More workers than four per core only wait for the disk and each other (-j 300 took
    # 2.7 s where -j 2 took 0.75 s; a typo such as -j 100000 forked until the system refused)
    jobs = min(jobs, MAX_JOBS_PER_CORE * usable_cores())
    chunks = chunked(files, jobs)
    jobs = min(jobs, len(chunks))  # and never more than there are chunks to read
    from concurrent.futures import ProcessPoolExecutor  # here: 35 ms to import, which a cached build skips
    from concurrent.futures.process import BrokenProcessPool

    from .cache.packs import SharedStubs, decode_pack, unpack

    done = taken = 0  # files yielded, chunks taken in
    shared = SharedStubs()  # equal stubs from different chunks become one object
    import multiprocessing

    # Forked, whatever the default (forkserver from Python 3.14): a worker is the build's own
    # child, which graph.children.die_with_parent ties to it.
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_leave_interrupts_to_the_parent, initargs=(os.getpid(),))
    try:
        # The workers are forked inside map(). A Ctrl-C then could kill a worker
        # before it ignores SIGINT, or land in a fork handler of this process,
        # which swallows it: it is held until they are up, and raised after.
        with signals_held({signal.SIGINT, signal.SIGTERM}):
            # map() keeps input order, so the result never depends on scheduling.
            blobs = pool.map(_read_chunk, chunks, [fast] * len(chunks))
        for blob in blobs:
            parsed = unpack(decode_pack(blob), shared)
            if on_pack is not None:
                on_pack(blob, parsed)
            yield from parsed
            done += len(parsed)
            taken += 1
            if progress:
                progress(done, total)
    except BrokenProcessPool:
        # A worker died: a parser crashed on a file (a segmentation fault), or the system
        # killed it. The build stopped there with a traceback. Now the chunks a worker may
        # have been reading (one per worker from the first not taken in: later ones may
        # be done, waiting to be taken in order) are read again one file per process, so
        # that a file whose reading kills its process is rejected, saying so, and the
        # files after them by a new pool (which, should it break too, does the same).
        _kill_workers(pool)
        pool.shutdown(cancel_futures=True)
        suspects = [item for chunk in chunks[taken:taken + jobs] for item in chunk]
        for item in suspects:
            yield _read_alone(item, fast)
            done += 1
            if progress and (done % 50 == 0 or done == total):
                progress(done, total)
        before = done

        def progress_after(n: int, _: int) -> None:
            progress(before + n, total)  # type: ignore[misc]

        # A pool however few files are left: read in this process, a crash ends the build.
        yield from _read_all(files[done:], jobs, fast, progress_after if progress else None, pool_from=1)
        return
    except BaseException:  # Ctrl-C, an error, or the reader stopped early
        if getattr(pool, "_broken", False):
            _kill_workers(pool)  # as above: the shutdown would wait for them for ever
        # The chunks being read end; no other starts. (Not terminated: a worker
        # stopped while sending its result would leave the pool's manager thread
        # reading half a message for ever.)
        pool.shutdown(cancel_futures=True)
        raise
    pool.shutdown()


def _kill_workers(pool: Any) -> None:
    """Kill a broken pool's workers: they ignore the SIGTERM it sends them (a Ctrl-C or
    SIGTERM is the parent's to handle, see :func:`_leave_interrupts_to_the_parent`), and
    its shutdown waited for them for ever, one core busy."""
    for worker in list((getattr(pool, "_processes", None) or {}).values()):
        worker.kill()


def _read_alone(item: tuple[str, bool], fast: bool) -> ParsedFile:
    """Read one file in a forked process of its own (after a reading worker died): a
    file whose reading ends that process is rejected with how it ended. An error
    raised while reading it is raised here, as the pool would have."""
    import pickle
    import traceback

    parent = os.getpid()
    source, sink = os.pipe()
    try:
        child = os.fork()
    except OSError:
        os.close(source)
        os.close(sink)
        raise
    if child == 0:  # pragma: no cover - the child, measured by what the parent receives
        status = 1
        try:
            os.close(source)
            die_with_parent(parent)
            try:
                sent: tuple[str, Any] = ("read", next(iter_read([item], fast=fast)))
            except Exception:  # noqa: BLE001 - a bug, not a crash: the parent raises it
                sent = ("error", traceback.format_exc())
            with open(sink, "wb") as out:
                out.write(pickle.dumps(sent, protocol=pickle.HIGHEST_PROTOCOL))
            status = 0
        finally:
            os._exit(status)
    os.close(sink)
    try:
        with open(source, "rb") as received:
            data = received.read()
    except BaseException:  # Ctrl-C: the child goes too, and is waited for (no zombie)
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        raise
    _, status = os.waitpid(child, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and data:
        kind, value = pickle.loads(data)
        if kind == "error":
            raise RuntimeError(f"reading {shown_path(item[0])} failed:\n{value}")
        return value
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            how = f"killed by {signal.Signals(number).name}"
        except ValueError:
            how = f"killed by signal {number}"
    else:
        how = f"exit status {os.WEXITSTATUS(status)}"
    reason = (f"reading it ended the process that read it ({how}): a crash of the YAML parser, or "
              "the system stopping it (out of memory); the other files were read")
    return ParsedFile(path=item[0], rejected={"path": shown_path(item[0]), "reason": reason, "line": None},
                      transient=True)


def _leave_interrupts_to_the_parent(parent: int) -> None:
    """In each reading worker: Ctrl-C and SIGTERM are for the parent, which stops the pool.
    A worker stopped by it while sending a result could leave the pool's
    shutdown waiting for it for ever. (It starts with SIGINT and SIGTERM blocked, see
    :func:`graph.children.signals_held`: ignored first, then let through, a pending one is dropped.)
    A parent killed outright takes the worker with it (:func:`graph.children.die_with_parent`)."""
    die_with_parent(parent)
    # SIGTERM to the whole group (timeout, systemd) is for the parent too, which stops the pool
    # as Ctrl-C does: a worker it killed outright broke the pool, whose shutdown then waited
    # for ever on a queue no worker read (CI, once in about ten runs). (The CLI's handler,
    # inherited, would raise in the middle of sending a result.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    let_through({signal.SIGINT, signal.SIGTERM})


def _path_list(given: Any, name: str) -> list[str]:
    """``given`` (a path, or an iterable of paths) as a list of :func:`given_form` paths."""
    if isinstance(given, (str, os.PathLike)):  # one folder, not its name's letters
        given = [given]
    elif isinstance(given, (bytes, bytearray)):  # not its bytes, as numbers
        raise ArgumentTypeError(f"{name} must be a path (str or os.PathLike) or a list of paths, not {given!r}")
    try:
        paths = list(given)
    except TypeError:
        paths = [given]  # None, a number: named below
    bad = next((p for p in paths if not isinstance(p, (str, os.PathLike))), paths)
    if bad is not paths:  # os.fspath's TypeError came from deep inside, naming neither argument nor value
        raise ArgumentTypeError(f"{name} must be a path or a list of paths, not {given!r}"
                                + (f" (it holds {bad!r})" if bad is not given else ""))
    return [given_form(p) for p in paths]


def given_form(path: str | os.PathLike) -> str:
    """A path as the graph and the report record it: ``./in``, ``in/`` and ``in``
    are one spelling (``in``), so they give the same bytes. A path through
    ``..`` is kept as given (``link/..`` need not be ``.``); an absolute path
    stays absolute.

    >>> given_form("./seeds/"), given_form("seeds//a.md"), given_form("a/../b")
    ('seeds', 'seeds/a.md', 'a/../b')
    """
    path = os.fspath(path)
    return path if ".." in path.replace("\\", "/").split("/") else os.path.normpath(path)


def build(
    paths: Iterable[str | os.PathLike] | str | os.PathLike = ("seeds",),
    *,
    catalogs: Iterable[str | os.PathLike] | None = None,
    detect_catalogs: bool = True,
    jobs: int | None = 1,
    fast_yaml: bool = True,
    progress: ProgressCallback | None = None,
    reader: Callable[[list[tuple[str, bool]], bool, ProgressCallback | None], Iterable[ParsedFile]] | None = None,
    cache_dir: str | os.PathLike | None = None,
    background: BackgroundWrites | None = None,
    cache_stats: CacheStats | None = None,
) -> KnowledgeGraph:
    """Read articles under ``paths`` and build the resolved knowledge graph.

    Parameters
    ----------
    paths : path or iterable of paths
        Files and folders to read (recursively).
    catalogs : path or iterable of paths, optional
        Catalogue folders (holding ``organizations/`` and ``topics/``); one
        that does not exist is in ``report.rejected``, as a missing input is.
    detect_catalogs : bool
        Also use catalogue folders found beside the inputs.
    jobs : int or None
        Worker processes for reading; ``None`` means one per core.
    fast_yaml : bool
        Use the fast YAML loader when installed.
    progress : callable, optional
        ``progress(done, total)`` while files are read.
    reader : callable, optional
        ``reader(files, fast_yaml, progress)`` reading the ``(path, explicit)``
        files into :class:`~graph.reader.ParsedFile` objects in input order,
        instead of the built-in reader (``jobs`` is then ignored); e.g.
        :func:`graph.distributed.dask_reader`.
    cache_dir : path, optional
        Folder of the incremental-build cache (:mod:`graph.cache`): only files
        whose content changed since the last build with the same folder are
        parsed again; the result is the same as without it.
    background : graph.cache.BackgroundWrites, optional
        Writes the cache files in forked processes while the build goes on
        (``newsgraph build`` does; the caller waits for it). By default they
        are written before ``build`` returns.
    cache_stats : graph.cache.CacheStats, optional
        Filled with what the cache did: the files it had unchanged and those
        parsed again, and whether the graph was the last one kept, patched or
        built (a problem with the cache, such as one it could not save, may be
        noted once ``background`` is done). Give a new one to each build: it
        is filled, not emptied first.

    Returns
    -------
    KnowledgeGraph

    Examples
    --------
    >>> kg = build(["seeds/"])
    >>> kg.report.rejected
    []
    >>> sorted({d["kind"] for _, d in kg.nx.nodes(data=True)})
    ['article', 'provider', 'topic']
    """
    paths = _path_list(paths, "paths")
    catalogs = _path_list(catalogs or (), "catalogs")
    check_flag("detect_catalogs", detect_catalogs)
    check_flag("fast_yaml", fast_yaml)
    check_count("jobs", jobs, none=True)
    for name, given in (("progress", progress), ("reader", reader)):
        if given is not None and not callable(given):  # called deep inside the read: "'int' object is not callable"
            raise ArgumentTypeError(f"{name} must be a function or None, not {given!r:.80}")
    jobs = usable_cores() if jobs is None else max(1, jobs)
    report = BuildReport(inputs=[shown_path(p) for p in paths])
    found = scan(paths, catalogs)
    report.rejected.extend(found.rejected)
    report.warnings.extend(found.warnings)
    report.ignored_files = found.ignored
    # A mistyped path in a notebook gave an empty graph, its reason only in the report:
    # said at once too (the command line refuses it before building).
    # (path, reason): a symbolic link loop is not "no such file"
    missing = [(found.rejected[k]["path"], found.rejected[k]["reason"]) for k in found.missing]
    not_catalogs: list[str] = []
    for folder in catalogs:
        if not os.path.isdir(folder):
            exists = os.path.exists(folder)
            reason = "a catalogue must be a folder" if exists else "no such catalogue folder"
            report.rejected.append({"path": folder, "reason": reason, "line": None})
            if not exists:
                missing.append((folder, NO_SUCH_FILE))
        elif not is_catalog_folder(folder):  # read as an empty catalogue, without a word (the CLI refuses it)
            report.rejected.append({"path": folder, "line": None, "reason": "not a catalogue folder (it holds no "
                                                                           "organizations/ or topics/ folder)"})
            not_catalogs.append(folder)
    said = [by_reason(missing)] if missing else []
    if not_catalogs:
        said.append(f"not a catalogue folder (no organizations/ or topics/ in it): {', '.join(not_catalogs)}")
    if said:
        import warnings

        warnings.warn(f"{'; '.join(said)} (in the graph's report.rejected)", MissingInputWarning, stacklevel=2)

    folders = list(catalogs) + (find_catalogs(paths) + found.catalog_dirs if detect_catalogs else [])
    # Sorted, so which catalogue wins a field never depends on the input order.
    folders = sorted(set(os.fspath(f) for f in folders))
    if cache_dir is not None:
        from .cache import cached_catalogs

        catalog = cached_catalogs(folders, cache_dir)
    else:
        catalog = load_catalogs(folders)
    catalog_paths = set(catalog.files)

    snapshot = file_cache = None
    if cache_dir is not None:
        from .cache import FileCache, GraphSnapshot

        # Everything besides the files' contents that the graph depends on.
        context = (paths, catalogs, detect_catalogs, report.rejected,
                   report.warnings, report.ignored_files, catalog)
        snapshot = GraphSnapshot(cache_dir, fast_yaml, found.files, context, stats=found.stats)
        file_cache = FileCache.load(cache_dir, fast_yaml, cache_stats)  # its index; entries only when needed
        unchanged = snapshot.load(file_cache.index)
        if unchanged is not None:
            file_cache.stats.reused, file_cache.stats.graph = len(found.files), "kept"
            file_cache.keep_signatures(snapshot.refreshed, background)  # and closes it
            found.stats.clear()
            if progress:
                progress(len(found.files), len(found.files))
            return unchanged  # type: ignore[return-value]

    # Millions of long-lived objects and no cycles: collector paused (graph.gc_pause).
    with gc_paused():
        records = []
        patched = None  # the last graph, patched by graph.incremental
        if reader is None:
            def reader(files, fast, progress, on_pack=None):  # noqa: E306 - the built-in reader
                return _read_all(files, jobs, fast, progress, on_pack)
            reader.sends_packs = True  # see graph.cache.FileCache.read
        if cache_dir is not None:
            from .cache import cached_reader

            def cache_changed(cache):  # noqa: E306 - the changed files are parsed, nothing else is read yet
                nonlocal patched
                if snapshot.previous is not None and cache.changes:
                    from .incremental import patch_graph

                    # Only descriptions changed: the last graph with those articles replaced.
                    patched = patch_graph(snapshot.previous, cache.changes, snapshot.previous_key,
                                          snapshot.find_previous_articles)
                    if patched is not None and background is not None:
                        background.holding = True  # released once the exports' threads start
                return patched is not None  # then no file is needed

            def cache_done(cache):  # noqa: E306 - the snapshot's key needs what the cache now holds
                snapshot.index = cache.index

            reader = cached_reader(cache_dir, reader, on_changes=cache_changed, on_done=cache_done,
                                   background=background, cache=file_cache, stats=found.stats)
        parsed_files = reader(found.files, fast_yaml, progress)
        # A catalogue folder's files (organizations/*.md) are the catalogue's, read above, whatever
        # they hold: one without "taxonomy" was also rejected as an article without a title.
        catalogue_owned = catalog_paths.union(r["path"] for r in catalog.rejected).union(
            s["path"] for s in catalog.skipped)
        for parsed in parsed_files:
            report.files_read += 1
            if catalogue_owned and shown_path(parsed.path) in catalogue_owned:
                continue
            report.warnings.extend(parsed.warnings)
            if parsed.rejected:
                report.rejected.append(parsed.rejected)
            elif parsed.skipped:
                report.skipped.append({"path": shown_path(parsed.path), "reason": parsed.skipped})
            elif parsed.catalog is not None:
                shown = shown_path(parsed.path)
                reason = None if shown in catalog_paths else catalog.add(parsed.catalog, shown)
                if reason is None:
                    catalog_paths.add(shown)
                else:  # in one place only: skipped, not catalogue as well
                    report.skipped.append({"path": shown, "reason": reason})
            elif parsed.record is not None:
                records.append(parsed.record)
        clear_stub_memo()  # every file is read; the records keep what they need
        found.stats.clear()  # 25 MB at 100,000 files, of no more use
        if file_cache is not None:
            file_cache.stats.graph = "built" if patched is None else "patched"
        if patched is not None:
            snapshot.save(patched, background)
            return patched
        if snapshot is not None:
            snapshot.drop_previous()  # not patched: the last graph is of no more use
        report.article_files = len(records)
        report.warnings.extend(catalog.warnings)
        report.rejected.extend(catalog.rejected)
        report.skipped.extend(catalog.skipped)

        res = resolve(records)
        report.catalog_files = sorted(catalog_paths)
        report.catalog_used = enrich(res.providers, res.topics, catalog)
        kg = KnowledgeGraph(res.articles, res.providers, res.topics, report)
        report.articles = len(res.articles)
        report.articles_stub = sum(a.is_stub for a in res.articles.values())
        report.articles_full = report.articles - report.articles_stub
        report.providers = len(res.providers)
        report.topics = len(res.topics)
        report.edges = kg.edge_counts()
        report.duplicates_merged = res.merged
        report.self_links_dropped = res.self_links
        report.warnings.sort(key=lambda w: (w.path, w.line or 0, w.message))
        if snapshot is not None:
            snapshot.save(kg, background)
        return kg
