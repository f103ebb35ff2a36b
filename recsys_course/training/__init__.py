"""Training: one loop for every model, and what it is fed.

- :mod:`.loop` - :func:`fit`, the one training loop (early stopping, ReduceLROnPlateau, clipping,
  mixed precision, best checkpoint), and the :class:`History` it returns;
- :mod:`.batches` - arrays to shuffled tensor batches; fresh negatives every epoch;
- :mod:`.recipes` - :func:`fit_implicit`, :func:`fit_next_item`, :func:`fit_ctr`: the loop set up per task;
- :mod:`.optim` - FTRL-Proximal, a joint step over several optimizers, Adam that spares the biases;
- :mod:`.wide_deep` - Wide & Deep's settings, model and optimizers, shared by lessons 05 and 06.
"""

from .loop import History, clip_gradients, fit, stopping_point
from .recipes import fit_ctr, fit_implicit, fit_next_item

__all__ = ["History", "clip_gradients", "fit", "fit_ctr", "fit_implicit", "fit_next_item", "stopping_point"]
