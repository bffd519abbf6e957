"""The three front matter formats, as python-frontmatter handlers.

YAML (``---``), TOML (``+++``) and JSON (``{ ... }``), plus PyYAML's safe
loader made strict about duplicate keys. :mod:`graph.reader` imports this
module only when it needs it: for a file that does not open with the YAML
fence, for a YAML text the fast loader refuses, or for an error's kind.
python-frontmatter and PyYAML take 0.03 s to import, which a rebuild that
parses no file, or only YAML files the fast loader reads, never spends.

>>> detect_format("+++\\ntitle = 'a'\\n+++\\n").__class__.__name__
'TOMLHandler'
>>> PARSE_ERRORS
(<class 'yaml.error.YAMLError'>, <class 'tomllib.TOMLDecodeError'>)
"""

from __future__ import annotations

import functools
import tomllib
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

from .reader import FENCES, yaml_rs

__all__ = ["TOMLHandler", "FastYAMLHandler", "JSONHandler", "YAMLHandler", "StrictSafeLoader", "HANDLERS",
           "HANDLER_OF", "KIND_OF", "PARSE_ERRORS", "YAMLError", "TOMLDecodeError", "UnsafeTagError",
           "detect_format", "mark_line"]

#: What loading a front matter raises for bad text (besides ``ValueError``).
PARSE_ERRORS: tuple[type[Exception], ...] = (yaml.YAMLError, tomllib.TOMLDecodeError)
YAMLError, TOMLDecodeError = PARSE_ERRORS
#: What PyYAML's safe loader raises for a tag it refuses (``!!python/...``).
UnsafeTagError = yaml.constructor.ConstructorError


class TOMLHandler(BaseHandler):
    """TOML front matter (``+++``) through the standard library's ``tomllib``.

    python-frontmatter's own TOML handler needs the third-party ``toml``
    package; this one has the same interface.
    """

    FM_BOUNDARY, START_DELIMITER = FENCES["toml"]
    END_DELIMITER = START_DELIMITER

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


#: The tag :class:`StrictSafeLoader` gives an untagged plain scalar, typed by :func:`_plain_scalar`.
PLAIN_TAG = "tag:newsgraph,2026:plain"
#: What a plain scalar that is not text can begin with, in yaml_rs's rules (``_1`` is 1, ``~`` null).
_MAYBE_TYPED = frozenset("0123456789+-._~nNtTfF")


@functools.lru_cache(maxsize=4096)
def _plain_scalar(value: str) -> Any:
    """A plain scalar as the fast loader types it (YAML 1.2's core schema, as
    yaml_rs reads it): ``yes`` and ``NO`` are text, not YAML 1.1's booleans,
    ``010`` is ten and ``1:20`` text, so which loader reads a file never
    changes what it says."""
    if "\n" in value:
        return value
    try:
        typed = yaml_rs.loads(f"k: {value}\n")["k"]
    except Exception:  # noqa: BLE001 - whatever yaml_rs cannot read as one scalar is text
        return value
    return value if isinstance(typed, (str, list, dict)) else typed


class StrictSafeLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader, recording duplicate keys instead of hiding them,
    and typing plain scalars as the fast loader does (:func:`_plain_scalar`):
    PyYAML parses (tags, merge keys ``<<``, errors with their lines), yaml_rs's
    rules say what an untagged ``yes`` or ``010`` is. Without yaml_rs, YAML 1.1's."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.loaded_text = stream if isinstance(stream, str) else None  # libyaml's marks do not hold it
        self.duplicates: list[tuple[str, int]] = []

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0] and yaml_rs is not None and value != "<<":
            return PLAIN_TAG
        return super().resolve(kind, value, implicit)

    def construct_plain(self, node: yaml.ScalarNode) -> Any:
        value = node.value
        return value if value and value[0] not in _MAYBE_TYPED else _plain_scalar(value)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # PyYAML's constructors for an explicit tag raise what they meet on a value
        # they cannot convert (!!bool x: KeyError; !!timestamp x: AttributeError;
        # !!int "": IndexError), which was no YAML error: the whole build stopped.
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (KeyError, AttributeError, IndexError, TypeError) as err:
            shown = node.value if isinstance(node, yaml.ScalarNode) else node.id
            tag = node.tag.replace("tag:yaml.org,2002:", "!!", 1)
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {shown!r} as {tag}", node.start_mark) from err

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    self.duplicates.append((key, mark_line(key_node.start_mark, self.loaded_text)))
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def mark_line(mark: Any, text: str | None = None) -> int:
    r"""The line (from 0) of a PyYAML mark as an editor counts lines: YAML 1.1, and so
    PyYAML, also breaks lines at U+0085, U+2028 and U+2029, which editors show
    inside a line (a line named after one of them was too far down). ``text``: what
    was loaded, for a mark of libyaml's, which does not hold it.

    >>> mark = yaml.Mark("t", 9, 2, 0, None, None)
    >>> mark.line, mark_line(mark, "a: \"x\u2028y\"\nb: [")
    (2, 1)
    """
    text = mark.buffer if isinstance(getattr(mark, "buffer", None), str) else text
    index = getattr(mark, "index", None)
    if not isinstance(text, str) or not isinstance(index, int):
        return mark.line
    before = text[:index]
    return before.count("\n") + before.count("\r") - before.count("\r\n")


StrictSafeLoader.add_constructor("tag:yaml.org,2002:map", StrictSafeLoader.construct_yaml_map)
StrictSafeLoader.add_constructor(PLAIN_TAG, StrictSafeLoader.construct_plain)


class FastYAMLHandler(YAMLHandler):
    """YAML front matter, fast loader first, PyYAML's safe loader as fallback
    (:func:`graph.reader.load_yaml`)."""

    def load(self, fm: str, **kwargs: object) -> Any:
        from .reader import load_yaml

        return load_yaml(fm)[0]


#: The handlers tried, in order.
HANDLERS = [FastYAMLHandler(), TOMLHandler(), JSONHandler()]
#: Each handler by the name of its format (:attr:`graph.reader.FrontMatter.kind`), and back.
HANDLER_OF = dict(zip(("yaml", "toml", "json"), HANDLERS))
KIND_OF = {type(handler): kind for kind, handler in HANDLER_OF.items()}


def detect_format(text: str) -> BaseHandler | None:
    """The handler of the front matter ``text`` opens with, if any."""
    return frontmatter.detect_format(text, HANDLERS)
