"""One exception hierarchy for newsgraph.

Every error the library raises on purpose derives from :class:`NewsgraphError`,
so callers (the CLI above all) can catch one type and show its message. Errors
about an input file name the file and, when known, the line.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable

__all__ = [
    "check_count",
    "check_flag",
    "NewsgraphError",
    "InputError",
    "MissingInputError",
    "EmptyInputError",
    "FrontMatterError",
    "InvalidURLError",
    "ExportError",
    "LoadError",
    "CacheError",
    "QueryError",
    "InvalidArgumentError",
    "UnknownFormatError",
    "ResultFormatError",
    "ArgumentTypeError",
    "UnknownIdError",
    "ViewError",
    "ServeError",
    "PushError",
    "DistributedError",
    "SchedulerAddressError",
]


class NewsgraphError(Exception):
    """Base class of every error newsgraph raises deliberately."""


class InputError(NewsgraphError):
    """A problem with one input file.

    Parameters
    ----------
    path : str
        The file the problem is in.
    reason : str
        What is wrong, in words a person understands.
    line : int or None
        1-based line number in the file, when known.
    """

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")


def by_reason(pairs: Iterable[tuple[str, str]]) -> str:
    """``(path, reason)`` pairs said one reason at a time, in the order first met.

    >>> by_reason([("a", "no such file"), ("b", "a loop"), ("c", "no such file")])
    'no such file: a, c; a loop: b'
    """
    grouped: dict[str, list[str]] = {}
    for path, reason in pairs:
        grouped.setdefault(reason, []).append(path)
    return "; ".join(f"{reason}: {', '.join(paths)}" for reason, paths in grouped.items())


class MissingInputError(InputError):
    """Input paths that do not exist, named before anything is read or written
    (:func:`graph.pipeline.build_exports`): a mistyped folder must not replace
    good exports with empty ones.

    ``reasons``, one for each path where known (:func:`graph.reader.missing_reason`),
    says a path that is not simply missing: a symbolic link loop was said to be
    "no such file or folder".

    >>> str(MissingInputError(["news", "more"]))
    'no such file or folder: news, more (nothing was written)'
    >>> str(MissingInputError(["news", "a.md"], ["no such file or folder", "broken symbolic link"]))
    'no such file or folder: news; broken symbolic link: a.md (nothing was written)'
    """

    def __init__(self, paths: list[str], reasons: list[str] | None = None) -> None:
        self.paths = [str(p) for p in paths]
        self.reasons = list(reasons) if reasons else ["no such file or folder"] * len(self.paths)
        NewsgraphError.__init__(self, f"{by_reason(zip(self.paths, self.reasons))} (nothing was written)")
        self.path, self.reason, self.line = self.paths[0], self.reasons[0], None


class EmptyInputError(InputError):
    """Inputs that hold no file at all, where the output folder holds a build's
    exports with articles (:func:`graph.pipeline.build_exports`): an unmounted or
    emptied source must not replace good exports with an empty graph.

    >>> str(EmptyInputError(["news"], "exports", 1465))  # doctest: +NORMALIZE_WHITESPACE
    'news: no file to read, and exports holds the exports of a build of 1,465 articles: they are left as
    they are (nothing was written); to write an empty graph there, delete them first'
    """

    def __init__(self, paths: list[str], output: str, articles: int) -> None:
        self.paths, self.output, self.articles = [str(p) for p in paths], str(output), articles
        NewsgraphError.__init__(
            self, f"{', '.join(self.paths)}: no file to read, and {self.output} holds the exports of a build of "
                  f"{articles:,} articles: they are left as they are (nothing was written); to write an empty "
                  "graph there, delete them first")
        self.path, self.reason, self.line = self.paths[0] if self.paths else ".", "no file to read", None


class FrontMatterError(InputError):
    """The front matter of a file cannot be parsed or has the wrong shape."""


class InvalidURLError(NewsgraphError, ValueError):
    """A string that cannot be turned into a canonical http(s) URL."""


class ExportError(NewsgraphError):
    """An export could not be written."""


class LoadError(NewsgraphError):
    """A previous build's files are missing or corrupt."""


class CacheError(NewsgraphError):
    """A file of the build's cache (``OUTPUT/.cache/``) that newsgraph will not
    read: one holding a pickle that names what no newsgraph cache holds
    (:mod:`graph.cache.pickles`)."""


class QueryError(NewsgraphError):
    """A SPARQL query is invalid or failed.

    ``line`` and ``column`` are 1-based positions of a syntax error, if known.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        super().__init__(message)


class InvalidArgumentError(NewsgraphError, ValueError):
    """An argument of the library's API that it cannot take (a negative count,
    an unknown ranking or format). A ``ValueError`` too, as Python's own
    functions raise for such arguments."""


class UnknownFormatError(ExportError, InvalidArgumentError):
    """A format or view the exports do not know (``write_exports(kg, "x", ["rdfxml"])``,
    ``view="foo"``): an :class:`ExportError`, as before, and an
    :class:`InvalidArgumentError` (so a ``ValueError``), as for any argument the
    API cannot take; ``except ValueError`` in a notebook missed it."""


class ResultFormatError(QueryError, InvalidArgumentError):
    """A format a query's result cannot be written in (``-f nt`` for a ``SELECT``,
    whose result is a table): the option's value is wrong for the query, a
    usage error as the command line says it (status 2), not a failure."""


class ArgumentTypeError(NewsgraphError, TypeError):
    """An argument of the library's API of a kind it does not take (a folder's
    path where a graph is expected, ``None`` for a list). A ``TypeError`` too,
    as Python's own functions raise for such arguments."""


class UnknownIdError(NewsgraphError, KeyError):
    """An id that names nothing in the graph (:meth:`~graph.KnowledgeGraph.subgraph`).
    A ``KeyError`` too, as a mapping raises; shown as written (``KeyError``
    quotes its message)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ViewError(NewsgraphError):
    """A view cannot be made (for example: the centre of an ego view is not in the graph)."""


class ServeError(NewsgraphError):
    """The SPARQL server could not be prepared, started or reached."""


class PushError(NewsgraphError):
    """The build could not be read or uploaded."""


class DistributedError(NewsgraphError):
    """Dask is missing, the cluster cannot be reached, or its workers cannot read the inputs."""


class SchedulerAddressError(DistributedError, InvalidArgumentError):
    """A Dask scheduler address that is no address (``--scheduler notaurl``): an
    argument's bad value, as the command line says it (status 2), before any cluster
    is tried."""


def check_count(name: str, value: Any, *, none: bool = False,
                error: type[Exception] = InvalidArgumentError) -> None:
    """Raise ``error`` unless ``value`` is a whole number, 0 or more (numpy's too:
    ``(df.x > 0).sum()`` is one), or ``None`` where ``none`` allows it. The
    one rule for the counts the API takes (``n``, ``top``, ``depth``...).

    >>> check_count("n", 3), check_count("n", None, none=True)
    (None, None)
    >>> check_count("n", -1)
    Traceback (most recent call last):
    ...
    graph.errors.InvalidArgumentError: n must be a whole number, 0 or more, not -1
    """
    if value is None and none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise error(f"{name} must be a whole number, 0 or more{', or None' if none else ''}, not {value!r}")


def check_flag(name: str, value: Any) -> None:
    """Raise :class:`ArgumentTypeError` unless ``value`` is ``True`` or ``False``
    (numpy's too): the string ``"False"`` is true, and was taken as such.

    >>> check_flag("directed", False)
    >>> check_flag("directed", "False")
    Traceback (most recent call last):
    ...
    graph.errors.ArgumentTypeError: directed must be True or False, not 'False'
    """
    numpy_bool = getattr(getattr(value, "dtype", None), "kind", None) == "b" and getattr(value, "ndim", 1) == 0
    if not isinstance(value, bool) and not numpy_bool:
        raise ArgumentTypeError(f"{name} must be True or False, not {value!r}")
