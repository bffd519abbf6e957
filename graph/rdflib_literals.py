"""rdflib's complaint about an ill-typed literal, said once per datatype.

rdflib converts each literal to a Python value as it is made; when the
datatype refuses the text (``"high"^^xsd:integer``, ``"2021-02-30"^^xsd:date``)
it logs ``Failed to convert Literal lexical form to value`` with the whole
traceback, once for every such literal. The literal still works: SPARQL
compares it as text, and ``newsgraph validate`` names it. So while the library
reads RDF or runs a query with rdflib (:func:`literals_said_once`), each
datatype's first complaint becomes one :class:`IllTypedLiteralWarning` and the
tracebacks are dropped: a notebook cell printed a traceback per literal, which
read as a failure. The command line says the same line (:func:`ill_typed_line`).

``tests/test_query.py`` checks it in a process of its own: another library's
``logging.config`` may disable rdflib's logger, and then nothing is said at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from typing import Iterator

__all__ = ["IllTypedLiteralWarning", "ill_typed_line", "datatype_of", "literals_said_once", "RDFLIB_FAILED"]

#: How rdflib's log record for a literal it cannot convert begins (rdflib.term).
RDFLIB_FAILED = "Failed to convert Literal"


class IllTypedLiteralWarning(UserWarning):
    """A literal whose datatype refuses its text, met by rdflib (once per datatype)."""


def ill_typed_line(datatype: str, error: object, outcome: str) -> str:
    """The one line that says a literal is not a valid ``datatype``.

    >>> ill_typed_line("http://www.w3.org/2001/XMLSchema#boolean", None, "it is read as false")
    'a literal is not a valid http://www.w3.org/2001/XMLSchema#boolean; it is read as false'
    """
    return (f"a literal is not a valid {datatype} ({error}); {outcome}" if error
            else f"a literal is not a valid {datatype}; {outcome}")


def datatype_of(message: str) -> str:
    """The datatype rdflib's message names (``... Datatype=IRI, Converter=...``)."""
    return message.split("Datatype=", 1)[-1].split(",", 1)[0]


class _OncePerDatatype(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(RDFLIB_FAILED):
            return True
        datatype = datatype_of(message)
        if datatype not in self.seen:
            self.seen.add(datatype)
            error = record.exc_info[1] if record.exc_info else None
            warnings.warn(ill_typed_line(datatype, error, "it is compared as text"), IllTypedLiteralWarning,
                          stacklevel=_caller_level())
        return False


def _caller_level() -> int:
    """The stack level of the first frame outside logging, rdflib and this package (the
    warning names the caller's line, not logging's)."""
    import rdflib  # imported already: it is logging (not at this module's import: build needs no rdflib)

    inside = tuple(os.path.dirname(m.__file__) + os.sep for m in (logging, rdflib)) + (
        os.path.dirname(os.path.abspath(__file__)) + os.sep,)
    frame, level = sys._getframe(2), 2  # warnings.warn's caller is the filter, one level below this
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level


@contextlib.contextmanager
def literals_said_once() -> Iterator[None]:
    """Within it, rdflib's ill-typed literals are one warning per datatype, not a
    logged traceback per literal (nested uses say each datatype once)."""
    logger = logging.getLogger("rdflib.term")
    if any(isinstance(f, _OncePerDatatype) for f in logger.filters):
        yield
        return
    said = _OncePerDatatype()
    logger.addFilter(said)
    try:
        yield
    finally:
        logger.removeFilter(said)
