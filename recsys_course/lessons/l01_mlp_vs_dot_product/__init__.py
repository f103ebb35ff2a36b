"""Lesson 01, MLP vs dot product: the toy preference matrices (:mod:`.toy_matrix`) and the exercises.

The lesson trains every model live in its notebook, on matrices small enough to see whole, so it
has no full-size experiment.
"""

LESSON = "01_mlp_vs_dot_product"
EXPERIMENTS = ()
