"""Lesson 01's exercises: counting a pair model's parameters, a cross feature, the parity pattern, Forster's bound.

The lesson uses no dataset, so every reference here is exact: a parameter count read off the package's
own model, the parity matrix built from its definition, and the smallest size the sign-rank bound allows.
"""

from __future__ import annotations

import math

import numpy as np

from ...check import Choice, Exercise, Function
from ...models import MLP

PARITY_TRAITS = 5  # exercise 4: the parity pattern of 5 binary traits, 32 kinds of user and of item


def mlp_parameters(n_users: int, n_items: int, dim: int, hidden: int) -> int:
    """The number of parameters of the package's one-hidden-layer MLP, counted on the model itself."""
    return sum(p.numel() for p in MLP(n_users, n_items, dim=dim, layers=(hidden,)).parameters())


def _parameter_cases():
    return [
        ("a square matrix, as in section 4 (64 users, 64 items, d = 4, 64 hidden units)", (64, 64, 4, 64)),
        ("more items than users", (100, 250, 8, 32)),
        ("a one-dimensional embedding and a single hidden unit", (10, 20, 1, 1)),
        ("a MovieLens-sized model (943 users, 1,682 items, d = 16, 64 hidden units)", (943, 1682, 16, 64)),
    ]


def parity_likes(k: int) -> np.ndarray:
    """The 2^k x 2^k like matrix: kind r has trait j when bit j of r is 1; like = odd number of shared traits."""
    traits = (np.arange(2**k)[:, None] >> np.arange(k)) & 1
    return (traits @ traits.T) % 2


def _parity_cases():
    return [
        ("one trait (2 kinds)", (1,)),
        ("two traits", (2,)),
        ("three traits", (3,)),
        ("six traits, as in section 4", (6,)),
    ]


def smallest_allowed_dim(k: int = PARITY_TRAITS) -> int:
    """Forster: any matrix with the parity pattern's signs (2^k kinds) has rank >= sqrt(2^k), rounded up; MF's
    user and item biases add 2 to the rank of its score matrix, so MF needs d >= that rank - 2."""
    return math.ceil(math.sqrt(2**k)) - 2


def _bound_cases():
    return [
        ("three traits (8 kinds: the root is not a whole number)", (3,)),
        ("four traits (16 kinds: the root is a whole number)", (4,)),
        ("seven traits", (7,)),
        ("ten traits", (10,)),
        ("one trait", (1,)),
    ]


def exercises() -> list[Exercise]:
    return [
        Function(
            1,
            "Count an MLP's parameters",
            reference=mlp_parameters,
            cases=_parameter_cases,
            mistakes=(
                "Forgets the hidden layer's and the output layer's bias terms.",
                "Feeds the hidden layer a d-dimensional input instead of the 2d-dimensional concatenation.",
                "Forgets the output layer's weights or its bias.",
                "Counts one embedding table for users and items together.",
            ),
        ),
        Choice(
            2,
            "A hand-made cross feature",
            options={
                "a": "yes: MF's held-out accuracy now reaches the MLP's",
                "b": "no: an item is still a sum of feature vectors, so MF stays where it was",
                "c": "only with a larger embedding, e.g. d = 16",
                "d": "no: a cross feature helps a linear model only, never a dot product",
            },
            correct="a",
            hints={
                "b": "write a user's score as a function of a, b and the new column ab: is XOR of a and b "
                "(and its opposite) now a weighted sum of those three terms?",
                "c": "the obstacle in section 3 was additivity, not the number of dimensions; keep the "
                "lesson's d = 8 and look at the held-out accuracy.",
                "d": "the dot product is linear in the item's features for each user, so whatever a linear "
                "model gains from a new feature column, each user's dot product can gain too.",
            },
            mistakes=(
                "Believes a sum of feature embeddings can never express a conjunction, even with the "
                "conjunction as a feature.",
                "Blames the embedding size rather than additivity for section 3's result.",
            ),
        ),
        Function(
            3,
            "Build the parity pattern",
            reference=parity_likes,
            cases=_parity_cases,
            mistakes=(
                "Takes the parity of the traits on which the two kinds differ (r XOR c) instead of "
                "those they share (r AND c).",
                "Likes when any trait is shared, instead of an odd number of them.",
                "Returns the count of shared traits without reducing it modulo 2.",
            ),
        ),
        Function(
            4,
            "Forster's bound for 2^k kinds",
            reference=smallest_allowed_dim,
            cases=_bound_cases,
            mistakes=(
                "Rounds the square root down instead of up.",
                "Forgets that MF's two bias terms add 2 to the rank of its score matrix.",
                "Uses the number of kinds instead of its square root.",
            ),
        ),
    ]
