"""The course's models, one module per family.

- :mod:`.pairs` - scorers of (user, item) pairs: ``Popularity``, ``Additive``,
  ``MF``, ``MLP``, ``GMF`` and ``NeuMF`` (lessons 01-03).

Later lessons add their families beside it. Everything is importable from
here: ``from recsys_course.models import MF``.
"""

from .pairs import GMF, MF, MLP, Additive, NeuMF, PairModel, Popularity, check_ids, mlp_tower

__all__ = ["Additive", "GMF", "MF", "MLP", "NeuMF", "PairModel", "Popularity", "check_ids", "mlp_tower"]
