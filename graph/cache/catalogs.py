"""The catalogues as read last time (``_data/organizations``, ``_data/topics``), by their files' signatures."""

from __future__ import annotations

import contextlib
import os
import pickle
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CacheError
from . import pickles
from .fingerprints import FORMAT, _graph_code_fingerprint, _is_settled, _signature_now
from .packs import dump_checked, load_checked

if TYPE_CHECKING:
    from ..catalog import Catalog

__all__ = ["CATALOG_FILE", "cached_catalogs"]


#: File name of the catalogues' cache inside the cache folder.
CATALOG_FILE = "catalog.pickle"


def cached_catalogs(folders: list[str], cache_dir: str | os.PathLike) -> Catalog:
    """:func:`graph.catalog.load_catalogs` of ``folders``, kept in
    ``cache_dir``/:data:`CATALOG_FILE` and reused while none of their files
    changed (the same signatures: size, modification and change times, inode),
    and not written when one changed too shortly before the build for its
    signature to vouch for it (:func:`~graph.cache.fingerprints._is_settled`).

    Why: reading the real corpus's 167 catalogue files took 0.015 s, and
    needed PyYAML and python-frontmatter imported (0.03 s more), in every
    build, even one whose graph comes whole from its snapshot.
    """
    from ..catalog import catalog_files, load_catalogs

    listing = []
    since = time.time_ns()  # before the files are read: see _settled
    for folder in folders:
        for path in catalog_files(folder):
            listing.append((str(path), _signature_now(str(path))))  # None: load_catalogs reports it
    key = repr((FORMAT, _graph_code_fingerprint(), folders, listing))
    file = Path(cache_dir) / CATALOG_FILE
    try:
        with open(file, "rb") as fh:
            if pickles.load(fh) == key:
                return load_checked(fh)  # type: ignore[return-value]
    except CacheError:
        raise
    except Exception:  # noqa: BLE001 - missing or damaged: read the files
        pass
    catalog = load_catalogs(folders)
    if not all(sig is None or _is_settled(sig, since) for _, sig in listing):
        return catalog  # a file changed just now could change again unseen: not kept
    from ..export.files import atomic_writer

    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        with atomic_writer(file, "wb", encoding=None, owned=True) as fh:
            pickle.dump(key, fh, protocol=pickle.HIGHEST_PROTOCOL)
            dump_checked(catalog, fh)
    return catalog
