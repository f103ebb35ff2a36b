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
# # Lesson 01 - MLP vs dot product: what each can and cannot learn
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/recsys-course/recsys-course/blob/main/notebooks/01_mlp_vs_dot_product.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/recsys-course/recsys-course/HEAD?labpath=notebooks%2F01_mlp_vs_dot_product.ipynb)
#
# Almost every recommender scores a (user, item) pair by combining a user vector
# with an item vector. The two classic ways to combine them are a **dot product**
# (matrix factorisation) and a **multi-layer perceptron** over the concatenated
# vectors (the "neural" alternative popularised by NCF, He et al. 2017). A popular
# story says the dot product is too weak - "it cannot even learn XOR" - and that
# an MLP fixes this. This lesson runs the experiments instead of repeating the story.
#
# **You will learn to**
# - write the three basic pair scorers - additive (logistic regression on ids), dot product, MLP - as tiny PyTorch models;
# - tell apart what a model *cannot represent* from what it *fails to learn from limited data*;
# - test the XOR claim, find a preference pattern a low-dimensional dot product really cannot express, and see why an MLP still struggles to learn a plain dot product (Rendle et al. 2020).
#
# Everything runs on a laptop CPU in about a minute; every number below is measured when the notebook runs.

# %%
# Setup: on Colab, install the course package; locally and on Binder it is installed already.
import sys
if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "git+https://github.com/recsys-course/recsys-course"], check=True)

# %%
import numpy as np
import pandas as pd
import torch
import matplotlib.pyplot as plt

from recsys_course import config, plots
from recsys_course.models import Additive, MF, MLP
from recsys_course.train import fit, tensor_batches
from recsys_course.metrics import auc, rmse, score_pairs  # score_pairs: a model's logits for id pairs

plots.use_course_style()
FAST = config.fast_mode()          # RECSYS_COURSE_FAST=1 shrinks the experiments
DEVICE = config.get_device()       # cuda when a GPU is present, else cpu
SEED = 0
rng = config.seed_everything(SEED)
print("device:", DEVICE, "| fast mode:", FAST)


# %% [markdown]
# ## 1. Three ways to score a (user, item) pair
#
# Give every user $u$ a vector $p_u \in \mathbb{R}^d$ and every item $i$ a vector
# $q_i \in \mathbb{R}^d$ (both learned). The models differ only in how they combine them
# into a logit $s(u, i)$; $\sigma(s)$ is then the probability that $u$ likes $i$.
#
# | model | score | interaction between user and item |
# | --- | --- | --- |
# | **Additive** (logistic regression on one-hot ids) | $b + b_u + c_i$ | none: a popular item is popular for everyone |
# | **MF** (dot product) | $b + b_u + c_i + p_u^\top q_i$ | fixed: multiply coordinate by coordinate, add up |
# | **MLP** over $[p_u; q_i]$ | $w^\top \mathrm{ReLU}(W [p_u; q_i] + c) + b$ | learned by the hidden layer |
#
# All three live in `recsys_course.models`, and each takes a batch of user ids and a
# batch of item ids and returns one logit per pair. Their sizes:

# %%
def n_params(model):
    return sum(p.numel() for p in model.parameters())

demo = {"Additive": Additive(100, 100), "MF": MF(100, 100, dim=8), "MLP": MLP(100, 100, dim=8, layers=(64,))}
pd.DataFrame({"parameters (100 users, 100 items, d=8)": {k: n_params(m) for k, m in demo.items()}})


# %% [markdown]
# The experiments below train each model on some (user, item, label) cells of a
# preference matrix and look at two numbers:
#
# - **fit**: accuracy on the cells it was trained on - can the model *represent* the pattern at all?
# - **held-out accuracy**: accuracy on cells it never saw - did it *learn* the pattern from the data?
#
# One small helper trains a model with the package's `fit()` loop and reports both.

# %%
def train_pairs(model, users, items, labels, *, epochs, lr=1e-2, batch_size=512, loss="bce", seed=SEED,
                optimizer=None):
    """Fit `model` on (users, items, labels) (Adam unless `optimizer` is given); returns the fit() history."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    loss_fn = (torch.nn.functional.binary_cross_entropy_with_logits if loss == "bce"
               else torch.nn.functional.mse_loss)
    return fit(model.to(DEVICE),
               lambda epoch: tensor_batches(users, items, labels, batch_size=batch_size, generator=gen),
               epochs=epochs, lr=lr, loss_fn=loss_fn, optimizer=optimizer, progress=False)

def accuracy(model, users, items, labels):
    return float(((score_pairs(model, users, items) > 0) == (labels > 0.5)).mean())

def all_cells(n_users, n_items):
    """Every (user, item) pair of an n_users x n_items matrix, as two flat id arrays."""
    u, i = np.meshgrid(np.arange(n_users), np.arange(n_items), indexing="ij")
    return u.ravel(), i.ravel()


# %% [markdown]
# ## 2. The XOR preference
#
# Imagine each user has a hidden binary trait $x_u$ (say, *prefers old films*) and each
# item a hidden trait $z_i$ (*is an old film*), and - to make it a puzzle - a user likes an
# item exactly when the two traits **differ**: $y_{ui} = x_u \oplus z_i$ (XOR). The models
# never see the traits, only user ids, item ids and some observed likes and dislikes.
#
# We build 200 users and 200 items, observe a random 20% of the 40,000 cells for
# training and keep the other 80% to test.

# %%
N_USERS = N_ITEMS = 200
user_trait = rng.integers(0, 2, N_USERS)        # hidden x_u
item_trait = rng.integers(0, 2, N_ITEMS)        # hidden z_i
xor_u, xor_i = all_cells(N_USERS, N_ITEMS)
xor_y = (user_trait[xor_u] ^ item_trait[xor_i]).astype(np.float32)

perm = rng.permutation(len(xor_y))
train_idx, test_idx = perm[: len(perm) // 5], perm[len(perm) // 5:]
print(f"{len(train_idx):,} training cells, {len(test_idx):,} held-out cells, "
      f"{xor_y.mean():.1%} of all cells are likes")

# %%
DIM = 8
xor_models = {
    "Additive": Additive(N_USERS, N_ITEMS),
    "MF": MF(N_USERS, N_ITEMS, dim=DIM),
    "MLP": MLP(N_USERS, N_ITEMS, dim=DIM, layers=(32,)),
}
xor_rows = {}
for name, model in xor_models.items():
    train_pairs(model, xor_u[train_idx], xor_i[train_idx], xor_y[train_idx], epochs=10 if FAST else 20)
    xor_rows[name] = {
        "fit (train acc)": accuracy(model, xor_u[train_idx], xor_i[train_idx], xor_y[train_idx]),
        "held-out acc": accuracy(model, xor_u[test_idx], xor_i[test_idx], xor_y[test_idx]),
        "held-out AUC": auc(xor_y[test_idx], score_pairs(model, xor_u[test_idx], xor_i[test_idx])),
    }
xor_table = pd.DataFrame(xor_rows).T.round(3)
xor_table

# %% [markdown]
# Two of the three models solve it, and one of them is the dot product.
#
# **Why the additive model must fail.** It scores $b_u + c_i$. Take any user $u$ with trait 0,
# any user $u'$ with trait 1, any item $i$ with trait 0 and any item $i'$ with trait 1.
# Getting all four right needs $b_u + c_{i'} > 0$ and $b_{u'} + c_i > 0$ (traits differ: like),
# and $b_u + c_i < 0$ and $b_{u'} + c_{i'} < 0$ (traits equal: dislike). Adding the first two
# gives $b_u + b_{u'} + c_i + c_{i'} > 0$, adding the last two gives the same sum $< 0$: at
# least one of the four blocks is always wrong, so no additive model beats 75%. Trained with
# cross-entropy it does worse still: every user likes half of the items and every item is
# liked by half of the users, so the best additive fit predicts about 0.5 everywhere - chance.
#
# **Why the dot product succeeds.** Code the traits as $\pm 1$: $s_u = 2x_u - 1$,
# $t_i = 2z_i - 1$. Then "traits differ" is exactly $s_u t_i = -1$, so the logit
# $-c\, s_u t_i$ is a dot product of one-dimensional vectors $p_u = s_u$,
# $q_i = -c\, t_i$. XOR of a user trait and an item trait is a *rank-one* matrix, the
# easiest thing a dot product can represent. The MLP also solves it - but it did not need to.

# %%
chance = max(xor_y[test_idx].mean(), 1 - xor_y[test_idx].mean())
# The additive model cannot beat chance by more than noise ...
assert abs(xor_table.loc["Additive", "held-out acc"] - chance) < 0.05, xor_table
# ... while the dot product and the MLP learn XOR from 20% of the cells.
assert xor_table.loc["MF", "held-out acc"] > 0.95, xor_table
assert xor_table.loc["MLP", "held-out acc"] > 0.95, xor_table
print(f"chance = {chance:.3f}")
print("Claim 'a dot product cannot learn XOR': REFUTED here - MF reaches "
      f"{xor_table.loc['MF', 'held-out acc']:.1%} held-out accuracy. "
      f"It is the additive model that cannot ({xor_table.loc['Additive', 'held-out acc']:.1%}).")

# %% [markdown]
# ## 3. A pattern a small dot product really cannot express
#
# The dot product's real limit is its **dimension**. A $d$-dimensional dot product
# produces a score matrix of rank at most $d$ - at most $d + 2$ with the user and item bias
# terms of our `MF` - and some like/dislike patterns need many dimensions even when we only
# ask for the right *sign* in each cell.
#
# Give every user and every item $k = 6$ binary traits, so there are $2^6 = 64$ kinds
# of user and 64 kinds of item (one of each here). A user likes an item when they
# share an **odd number** of traits: $y_{ui} = \langle a_u, b_i \rangle \bmod 2$. In $\pm 1$ form
# this $64 \times 64$ matrix is a Hadamard matrix, and Forster (2002) proved that
# reproducing just its signs with any rank-$r$ matrix needs $r \ge \sqrt{64} = 8$.
# So our `MF` with $d + 2 < 8$, i.e. $d < 6$, cannot fit this pattern however long we train.
# The bound is necessary, not sufficient: a larger $d$ *may* fit it, if gradient descent finds
# the right signs.
#
# Here the question is representation, not generalisation, so every model trains on
# all 4,096 cells and we report the fit. Same embedding size $d$ for MF and MLP; the
# MLP adds one hidden layer of 256 ReLUs.

# %%
K = 6
N_KINDS = 2 ** K
traits = (np.arange(N_KINDS)[:, None] >> np.arange(K)) & 1      # row r = the k bits of r
parity = (traits @ traits.T) % 2                                 # like iff an odd number of shared traits
par_u, par_i = all_cells(N_KINDS, N_KINDS)
par_y = parity[par_u, par_i].astype(np.float32)

DIMS = [2, 4, 8] if FAST else [2, 4, 8, 16]
PARITY_EPOCHS = 150 if FAST else 300
par_rows, par_models = [], {}
for d in DIMS:
    for name, model in {"MF": MF(N_KINDS, N_KINDS, dim=d),
                        "MLP": MLP(N_KINDS, N_KINDS, dim=d, layers=(256,))}.items():
        train_pairs(model, par_u, par_i, par_y, epochs=PARITY_EPOCHS)
        par_rows.append({"d": d, "model": name, "fit (train acc)": accuracy(model, par_u, par_i, par_y)})
        par_models[name, d] = model
additive = Additive(N_KINDS, N_KINDS)
train_pairs(additive, par_u, par_i, par_y, epochs=PARITY_EPOCHS)
parity_fit = pd.DataFrame(par_rows).pivot(index="d", columns="model", values="fit (train acc)")
parity_fit["Additive"] = accuracy(additive, par_u, par_i, par_y)
parity_fit.round(3)

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for name in ["MF", "MLP", "Additive"]:
    ax.plot(parity_fit.index, parity_fit[name], marker="o", label=name, color=plots.MODEL_COLORS[name])
ax.axvline(6, color="black", ls=":", lw=1)
ax.text(6.2, 0.6, "Forster bound:\nMF needs d + 2 >= 8", fontsize=8)
ax.set_xscale("log", base=2)
ax.set_xticks(parity_fit.index, [str(d) for d in parity_fit.index])
ax.set_xlabel("embedding dimension d")
ax.set_ylabel("fit: training accuracy")
ax.set_title("Parity of shared traits (64 x 64)")
ax.set_ylim(0.45, 1.02)
ax.legend()
plt.show()

# %%
# Below the bound (d < 6) MF cannot fit, and at d = 8 it is still far off; the MLP with the same d fits.
assert parity_fit.loc[4, "MF"] < 0.75 and parity_fit.loc[8, "MF"] < 0.9, parity_fit
assert parity_fit.loc[8, "MLP"] > 0.97, parity_fit
assert (parity_fit["MLP"] > parity_fit["MF"]).all(), parity_fit
assert abs(parity_fit["Additive"].iloc[0] - 0.5) < 0.05, parity_fit
print("At d = 8: MF fits {:.1%} of the cells, the MLP {:.1%}.".format(parity_fit.loc[8, "MF"], parity_fit.loc[8, "MLP"]))
top = parity_fit.loc[DIMS[-1], "MF"]
print(f"At d = {DIMS[-1]}: MF fits {top:.1%}" + (" - above the bound, yet gradient descent has not found all the signs."
                                               if top < 0.99 else "."))


# %% [markdown]
# ### Decision surfaces over (user, item)
#
# A model's "decision surface" here is its whole matrix of predicted like-probabilities.
# For XOR the users and items are sorted by their hidden trait, so the truth is four
# blocks; for parity, rows and columns are the 64 kinds in order. Red means *like*.

# %%
def probability_matrix(model, n_users, n_items):
    u, i = all_cells(n_users, n_items)
    return torch.sigmoid(torch.from_numpy(score_pairs(model, u, i))).numpy().reshape(n_users, n_items)

user_order, item_order = np.argsort(user_trait, kind="stable"), np.argsort(item_trait, kind="stable")
xor_truth = (user_trait[:, None] ^ item_trait[None, :])[np.ix_(user_order, item_order)]
panels = [
    [("truth: XOR of traits", xor_truth)]
    + [(f"{name}: {xor_table.loc[name, 'held-out acc']:.0%} held-out",
        probability_matrix(m, N_USERS, N_ITEMS)[np.ix_(user_order, item_order)])
       for name, m in xor_models.items()],
    [("truth: parity of 6 traits", parity)]
    + [(f"Additive: {parity_fit['Additive'].iloc[0]:.0%} fit", probability_matrix(additive, N_KINDS, N_KINDS))]
    + [(f"{name} d=8: {parity_fit.loc[8, name]:.0%} fit", probability_matrix(par_models[name, 8], N_KINDS, N_KINDS))
       for name in ["MF", "MLP"]],
]
fig, axes = plt.subplots(2, 4, figsize=(12, 6.2))
for row, row_panels in zip(axes, panels):
    for ax, (title, matrix) in zip(row, row_panels):
        image = plots.preference_map(ax, matrix, title)
fig.colorbar(image, ax=axes, shrink=0.6, label="P(like)")
fig.suptitle("What each model learned: rows = users, columns = items", y=0.98)
print("saved", *plots.save_fig(fig, "01_decision_surfaces"))
plt.show()

# %% [markdown]
# ## 4. The other side: an MLP struggles to learn a plain dot product
#
# An MLP *can* represent almost anything, but can it *learn* it from the data a
# recommender has? Rendle, Krichene, Zhang and Anderson (RecSys 2020, "Neural
# Collaborative Filtering vs. Matrix Factorization Revisited") showed that an MLP
# needs a lot of data to approximate even a plain dot product, and that a well-tuned
# dot product beats NCF's MLP-based models on the NCF paper's own benchmarks.
#
# We replay the idea: the true score of every (user, item) pair **is** a dot product
# of hidden 8-dimensional vectors. Both models (same embedding size $d = 8$; the MLP has
# about five times MF's parameters because of its tower) regress it from a growing number
# of observed cells, and we measure the error on cells neither has seen. Neither is
# regularised, so with very few cells both overfit and can do worse than predicting the mean.

# %%
N = 200
TRUE_DIM = 8
P = rng.normal(size=(N, TRUE_DIM)) / TRUE_DIM ** 0.25
Q = rng.normal(size=(N, TRUE_DIM)) / TRUE_DIM ** 0.25
dot_u, dot_i = all_cells(N, N)
dot_y = (P @ Q.T).ravel().astype(np.float32)
print(f"target: mean {dot_y.mean():+.3f}, std {dot_y.std():.3f} (predicting the mean gives RMSE = std)")

perm = rng.permutation(len(dot_y))
test_cells, pool = perm[:4000], perm[4000:]
SIZES = [4000, 16000] if FAST else [4000, 8000, 16000, 32000]
size_rows = []
for n_train in SIZES:
    cells = pool[:n_train]
    for name, model in {"MF": MF(N, N, dim=TRUE_DIM), "MLP": MLP(N, N, dim=TRUE_DIM, layers=(64, 32))}.items():
        train_pairs(model, dot_u[cells], dot_i[cells], dot_y[cells], epochs=20 if FAST else 40,
                    batch_size=1024, loss="mse")
        size_rows.append({"training cells": n_train, "model": name,
                          "held-out RMSE": rmse(dot_y[test_cells], score_pairs(model, dot_u[test_cells], dot_i[test_cells]))})
size_table = pd.DataFrame(size_rows).pivot(index="training cells", columns="model", values="held-out RMSE")
size_table.round(3)

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for name in ["MF", "MLP"]:
    ax.plot(size_table.index, size_table[name], marker="o", label=name, color=plots.MODEL_COLORS[name])
ax.axhline(dot_y.std(), color="grey", ls=":", lw=1)
ax.text(size_table.index[-1], dot_y.std() * 1.03, "predict the mean", fontsize=8, color="grey", ha="right")
ax.set_xscale("log")
ax.set_xticks(size_table.index, [f"{n:,}" for n in size_table.index])
ax.minorticks_off()
ax.set_xlabel(f"training cells (of {N * N:,})")
ax.set_ylabel("held-out RMSE")
ax.set_title("Learning a true dot product")
ax.legend()
print("saved", *plots.save_fig(fig, "01_mlp_learns_dot_product"))
plt.show()

# %%
largest = size_table.index[-1]
# With the most data, MF recovers the dot product almost exactly; the MLP is still far off.
assert size_table.loc[largest, "MF"] < 0.1, size_table
assert size_table.loc[largest, "MLP"] > 2 * size_table.loc[largest, "MF"], size_table
# MF needs fewer cells than the MLP to get within 0.2 RMSE of the truth.
first_good = {m: next((n for n in size_table.index if size_table.loc[n, m] < 0.2), np.inf) for m in ["MF", "MLP"]}
assert first_good["MF"] < first_good["MLP"], first_good
for m, n in first_good.items():
    print(f"{m}: RMSE < 0.2 from {n:,} training cells" if np.isfinite(n)
          else f"{m}: RMSE never below 0.2 (up to {largest:,} cells)")

# %% [markdown]
# ## What to remember
#
# - The additive model (logistic regression on ids) has **no interaction** term; it cannot learn XOR or any "it depends on who you are" preference.
# - The dot product **is** an interaction - a product - and XOR of a user trait and an item trait is exactly a product in ±1 coding. The claim that a dot product "cannot learn XOR" is false; we measured it.
# - What limits a dot product is its **dimension**: a rank-$d$ score matrix cannot reproduce every like/dislike pattern (the parity pattern needs rank $\ge 8$ here, and gradient descent did not find it even at $d = 16$). An MLP over the same embeddings can fit it.
# - Being able to represent something is not the same as learning it: with a dot-product truth, the MLP needs far more data than MF and still ends up less accurate (Rendle et al. 2020). Start from a well-tuned dot product and make the MLP earn its place - lesson 03 does this on MovieLens.
#
# ## Exercises
#
# 1. Give the additive model one extra feature: the product of the user's and the item's trait (a hand-made *cross feature*). Can it now learn XOR? This is the idea behind the "wide" part of Wide & Deep (lesson 05).
# 2. In section 3, set `K = 4` (16 kinds). Forster's bound becomes rank $\ge 4$. Find the smallest $d$ at which MF fits the pattern perfectly, and compare.
# 3. In section 4, add weight decay to both models (pass `optimizer=torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=...)` to `train_pairs`). Does the gap close? Try a deeper MLP, e.g. `layers=(128, 64, 32)`.
# 4. Replace the XOR truth with a *noisy* version (flip 10% of the labels). Which model's held-out accuracy drops the most, and why?
