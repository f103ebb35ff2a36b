# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 01 - solutions to the exercises
#
# Worked solutions to the exercises at the end of `notebooks/01_mlp_vs_dot_product.ipynb`.
# Try them there first: this notebook builds everything it needs from the course package
# and runs the same checks, each of which must pass.

# %%
import math

import numpy as np
import pandas as pd

from recsys_course import config
from recsys_course.lessons import exercises
from recsys_course.evaluation.metrics import per_user_means
from recsys_course.models import MF, MLP
from recsys_course.lessons.l01_mlp_vs_dot_product.toy_matrix import all_cells, correct, train_pairs   # the lesson's helpers

config.seed_everything(0)
SEEDS = [0, 1, 2, 3, 4]
check = exercises("01")


def n_params(model):
    return sum(p.numel() for p in model.parameters())


# %% [markdown]
# ## The build-it steps
#
# Section 1 asks for the three scorers and a training loop. Each `__init__` makes exactly the
# parameters the scaffold names; each `forward` returns one logit per pair, so every result is
# squeezed to shape `[batch]`, and none applies a sigmoid (the loss does).

# %%
import torch
import torch.nn.functional as F
from torch import nn

from recsys_course.lessons import builds

build = builds("01")


class MyAdditive(nn.Module):
    def __init__(self, n_users, n_items):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1))
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = nn.Embedding(n_items, 1)

    def forward(self, users, items):
        return self.bias + self.user_bias(users).squeeze(-1) + self.item_bias(items).squeeze(-1)


class MyMF(MyAdditive):   # the additive score, plus a dot product
    def __init__(self, n_users, n_items, dim):
        super().__init__(n_users, n_items)
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        nn.init.normal_(self.user_emb.weight, std=0.1)
        nn.init.normal_(self.item_emb.weight, std=0.1)

    def forward(self, users, items):
        return super().forward(users, items) + (self.user_emb(users) * self.item_emb(items)).sum(-1)


class MyMLP(nn.Module):
    def __init__(self, n_users, n_items, dim, hidden):
        super().__init__()
        self.user_emb, self.item_emb = nn.Embedding(n_users, dim), nn.Embedding(n_items, dim)
        self.tower = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, 1)

    def forward(self, users, items):
        both = torch.cat([self.user_emb(users), self.item_emb(items)], dim=-1)
        return self.head(self.tower(both)).squeeze(-1)


def my_train(model, users, items, labels, *, epochs, lr, batch_size):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)   # once: Adam keeps running averages
    for _ in range(epochs):
        for start in range(0, len(labels), batch_size):
            rows = slice(start, start + batch_size)
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(users[rows], items[rows]), labels[rows])
            loss.backward()
            optimizer.step()
    return model


for step, answer in (("additive", MyAdditive), ("mf", MyMF), ("mlp", MyMLP), ("loop", my_train)):
    print(build(step, answer))
build.assert_all_passed()

# %% [markdown]
# ## Exercise 1 - Count an MLP's parameters
#
# Go through the model layer by layer. Two embedding tables: `n_users * dim` and
# `n_items * dim`. The hidden layer reads the concatenation $[p_u; q_i]$, which has `2 * dim`
# numbers, so it holds `2 * dim * hidden` weights plus `hidden` biases. The output layer turns
# the `hidden` units into one logit: `hidden` weights and one bias. The package's `MLP` has no
# per-user or per-item bias terms (MF has them), so nothing else is left.

# %%
def mlp_parameters(n_users, n_items, dim, hidden):
    embeddings = (n_users + n_items) * dim
    hidden_layer = 2 * dim * hidden + hidden
    output_layer = hidden + 1
    return embeddings + hidden_layer + output_layer

# the formula against the model itself, and section 4's matched pair: MLP(d/2, 64 units) has as many as MF(d)
for args in [(64, 64, 4, 64), (943, 1682, 16, 64)]:
    assert mlp_parameters(*args) == n_params(MLP(args[0], args[1], dim=args[2], layers=(args[3],)))
assert all(mlp_parameters(64, 64, d // 2, 64) == n_params(MF(64, 64, dim=d)) for d in (2, 4, 8, 16))
check(1, mlp_parameters)

# %% [markdown]
# ## Exercise 2 - A hand-made cross feature
#
# Rebuild section 3's set-up (200 users, 200 items with two random binary features, half
# of the users liking A XOR B and the other half its opposite; 20% of the cells to train on,
# the rest held out), then train MF once on the two feature columns and once on three, the
# third being $a_i b_i$. With the cross column, a user's score is
# $a\,(p^\top e_A) + b\,(p^\top e_B) + ab\,(p^\top e_{AB})$ plus biases, and
# $a \oplus b = a + b - 2ab$ is such a sum: the pattern is now within the dot product's reach.
# The MLP on the same three columns is the yardstick.

# %%
N, DIM, EPOCHS = 200, 8, 20
cell_u, cell_i = all_cells(N, N)


def item_feature_truth(seed):
    """Section 3's items (two binary features) and users (group 0 likes A xor B, group 1 its opposite)."""
    r = np.random.default_rng(200 + seed)
    features = r.integers(0, 2, size=(N, 2))
    group = r.integers(0, 2, N)
    likes = (features[:, 0] ^ features[:, 1])[None, :] ^ group[:, None]
    return likes, features.astype(np.float32)


def held_out_accuracy(model, likes, seed):
    """Train on a random 20% of the cells, return the mean per-user accuracy on the other 80%."""
    r = np.random.default_rng(seed)
    labels = likes.ravel().astype(np.float32)
    perm = r.permutation(len(labels))
    train, held = perm[: len(perm) // 5], perm[len(perm) // 5:]
    train_pairs(model, cell_u[train], cell_i[train], labels[train], epochs=EPOCHS, seed=seed)
    return per_user_means(cell_u[held], correct(model, cell_u[held], cell_i[held], labels[held]), N).mean()


rows = []
for seed in SEEDS:
    likes, features = item_feature_truth(seed)
    crossed = np.column_stack([features, features[:, 0] * features[:, 1]])
    rows.append({"seed": seed,
                 "MF, features A and B": held_out_accuracy(MF(N, N, dim=DIM, item_features=features), likes, seed),
                 "MF, with A x B": held_out_accuracy(MF(N, N, dim=DIM, item_features=crossed), likes, seed),
                 "MLP, with A x B": held_out_accuracy(MLP(N, N, dim=DIM, layers=(32,), item_features=crossed),
                                                      likes, seed)})
cross = pd.DataFrame(rows).set_index("seed")
cross.loc["mean"] = cross.mean()
cross.round(3)

# %%
mean = cross.loc["mean"]
# with the cross column MF matches the MLP and leaves its two-column self far behind: option a
assert mean["MF, with A x B"] > mean["MLP, with A x B"] - 0.02 and mean["MF, with A x B"] > mean["MF, features A and B"] + 0.3
answer_2 = "a"
check(2, answer_2)

# %% [markdown]
# ## Exercise 3 - Build the parity pattern
#
# Kind $r$'s traits are the bits of $r$, so the traits kinds $r$ and $c$ share are the set
# bits of `r & c`, and the entry is the parity of their number: shift each of the $k$ bits
# down, mask it, and add them up.

# %%
def parity_likes(k):
    kinds = np.arange(2 ** k)
    shared = kinds[:, None] & kinds[None, :]
    return ((shared[..., None] >> np.arange(k)) & 1).sum(axis=-1) % 2

print(parity_likes(2))
check(3, parity_likes)

# %% [markdown]
# ## Exercise 4 - Forster's bound for any number of kinds
#
# In $\pm 1$ form the parity pattern of $k$ traits is an $n \times n$ Hadamard matrix with
# $n = 2^k$, and any matrix with its signs has rank at least $\sqrt{n}$. For odd $k$ the root
# is not a whole number and a rank is, so the rank must be at least the root rounded up. MF's
# score matrix is $P Q^\top$ (rank at most $d$) plus a user-bias term and an item-bias term
# (rank one each, with the global bias folded into either), so its rank is at most $d + 2$:
# the smallest $d$ the bound allows is the rounded-up root minus 2. The
# prediction: the biases alone are allowed while $\lceil\sqrt{2^k}\,\rceil \le 2$, that is for
# $k = 1$ and $k = 2$ (the bound only rules sizes out: whether the biases alone fit those
# patterns is another question).

# %%
def smallest_mf_dim(k):
    return math.ceil(math.sqrt(2 ** k)) - 2


K = 5
answer_4 = smallest_mf_dim(K)
print(", ".join(f"k = {k}: d >= {smallest_mf_dim(k)}" for k in range(1, 8)))
check(4, smallest_mf_dim)

# %% [markdown]
# The bound only rules sizes out. Training MF on all 1,024 cells shows that below it the fit
# stays short of 100%, as the theorem promises; at and above it, the fit is what gradient
# descent finds in the given number of epochs.

# %%
parity = parity_likes(K)
par_u, par_i = all_cells(2 ** K, 2 ** K)
par_y = parity[par_u, par_i].astype(np.float32)
fits = {}
for d in range(answer_4 - 2, answer_4 + 3):
    model = MF(2 ** K, 2 ** K, dim=d)
    train_pairs(model, par_u, par_i, par_y, epochs=300)
    fits[d] = correct(model, par_u, par_i, par_y).mean()
assert all(fits[d] < 1.0 for d in fits if d < answer_4)
pd.Series(fits, name="fit (training accuracy)").rename_axis("MF's d").round(3)

# %%
check.assert_all_passed()
print(check.summary())
