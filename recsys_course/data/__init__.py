"""The data layer: MovieLens and UCI Adult, fetched once, verified, cached - or a synthetic twin offline.

- :mod:`.registry` - where each official archive lives and its pinned sha256;
- :mod:`.download` - verified download, cache and atomic extraction;
- :mod:`.checks` - each extracted MovieLens file checked by its own sha256 before it is parsed;
- :mod:`.adult_download` - UCI Adult's two files from the legacy address or the zip, each checked;
- :mod:`.load` - :func:`load_movielens` and :func:`load_adult`, the entry points;
- :mod:`.movielens`, :mod:`.adult` - the tidy frames and strict readers of the official files;
- :mod:`.synthetic` - the synthetic twin of MovieLens, and a simulated watch log;
- :mod:`.errors` - :class:`DataError`, the one error type, whose message names the file and the fix.

The layer knows no tasks, models or training: everything above it starts from these frames.
"""

from .adult import Adult
from .errors import DataError, DownloadError
from .load import load_adult, load_movielens
from .movielens import MovieLens
from .synthetic import simulated_watch_log, synthetic_movielens

__all__ = [
    "Adult",
    "DataError",
    "DownloadError",
    "MovieLens",
    "load_adult",
    "load_movielens",
    "simulated_watch_log",
    "synthetic_movielens",
]
