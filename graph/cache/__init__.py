"""Incremental builds: what ``newsgraph build`` keeps in ``OUTPUT/.cache/`` between builds.

One module per cache, each safe to delete at any time (``--no-cache`` turns
them all off):

* :mod:`graph.cache.parsed`: what each input file parsed to, by content
  hash (``parsed.pickle``, and ``parsed.patch.pickle`` for the files parsed
  again since it was written whole): only changed files are parsed again;
* :mod:`graph.cache.catalogs`: the catalogues as read (``catalog.pickle``);
* :mod:`graph.cache.snapshot`: the last graph (``graph.pickle``, and
  ``graph.patch.pickle`` for the articles patched since): when no file
  changed, nothing is read or resolved again, and when only articles'
  descriptions changed, :mod:`graph.incremental` patches it;
* :mod:`graph.cache.exports`: the record of the last exports
  (``exports.json``), their previous versions (``spares/``) and the
  positions of the articles' texts in them (``offsets/``): exports that
  would be written the same are skipped, and patched where they can be.

Beside them: :mod:`graph.cache.fingerprints` (when a cache is still valid),
:mod:`graph.cache.packs` (the compact form of parsed files that the reading
workers send and the parse cache stores) and :mod:`graph.cache.background`
(cache files written in forked processes while the build goes on).

Every cache file is written atomically (:func:`graph.export.files.atomic_writer`),
so a crash mid-build leaves the previous one, and an unreadable or foreign
one is ignored and replaced. They are pickles, read back by
:mod:`graph.cache.pickles`, which refuses any pickle naming what no cache
holds (a function to call, say) before it can run.
"""

from __future__ import annotations

from .background import BackgroundWrites
from .catalogs import CATALOG_FILE, cached_catalogs
from .exports import EXPORTS_FILE, OFFSETS_DIR, SPARES_DIR, write_exports_cached
from .fingerprints import FORMAT, code_fingerprint
from .packs import SentStubs, SharedStubs, decode_pack, encode_pack, pack, unpack
from .parsed import CACHE_FILE, PATCH_FILE, CacheStats, FileCache, cached_reader
from .snapshot import SNAPSHOT_CHUNK, SNAPSHOT_PARTS, GraphSnapshot

__all__ = ["CACHE_FILE", "PATCH_FILE", "FORMAT", "CacheStats", "FileCache", "GraphSnapshot", "cached_reader",
           "code_fingerprint", "pack", "unpack", "encode_pack", "decode_pack", "SentStubs", "SharedStubs",
           "write_exports_cached", "EXPORTS_FILE", "SPARES_DIR", "OFFSETS_DIR", "BackgroundWrites", "SNAPSHOT_CHUNK",
           "SNAPSHOT_PARTS", "CATALOG_FILE", "cached_catalogs"]
