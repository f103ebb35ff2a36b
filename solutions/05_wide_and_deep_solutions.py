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
# # Lesson 05 - solutions to the exercises
#
# Worked solutions to the exercises at the end of `notebooks/05_wide_and_deep.ipynb`. Each one
# ends with the same check the lesson runs; the last cell fails unless every check passes.

# %%
from dataclasses import replace

import numpy as np
from IPython.display import display

from recsys_course import config
from recsys_course.data import load_adult, load_movielens
from recsys_course.evaluation import ctr as ctr_eval
from recsys_course.evaluation.inference import predict_logits
from recsys_course.evaluation.metrics import auc
from recsys_course.evidence import Results
from recsys_course.lessons import exercises
from recsys_course.lessons.l05_wide_and_deep import wide_deep as wd
from recsys_course.tasks import adult_ctr, movielens_ctr
from recsys_course.training import wide_deep as recipe

config.seed_everything(0)
SEED = 0
ml = load_movielens("ml-100k")
task = movielens_ctr(ml)
SETTINGS = recipe.committed_settings("ml-100k")
check = exercises("05", ml)

# %% [markdown]
# ## The build-it steps
#
# **Collisions.** Take the distinct pairs first (`np.unique(..., axis=0)`), hash them, and count
# a pair as colliding when its bucket holds more than one of them. **FTRL.** Sigma from the old
# and the new `n`, then `z`, then `n`, then the weight from the new `n`, zero wherever
# `|z| <= l1`. (Algorithm 1 computes that weight at the start of the next round; the value is
# the same.) **Wide & Deep.** The parts in the scaffold's order (the check matches a
# `Sequential`'s layers by position), the wide table zeroed; the logit is the bias, the wide
# bag's sum squeezed to `[batch]`, and the deep tower's output on the three parts of its
# input, in the model's order. **The joint step.** Zero *both* optimisers, one loss on the
# logits themselves (`binary_cross_entropy_with_logits` applies the sigmoid), one backward,
# and step both: FTRL moves the wide half, AdaGrad the deep half.

# %%
import torch
import torch.nn.functional as F
from torch import nn

from recsys_course.lessons import builds
from recsys_course.models import MultiFieldEmbedding
from recsys_course.tasks.features import cross

build = builds("05")


def my_collision_rate(a, b, buckets):
    pairs = np.unique(np.stack([np.asarray(a), np.asarray(b)], axis=1), axis=0)
    _, inverse, counts = np.unique(cross(pairs[:, 0], pairs[:, 1], buckets), return_inverse=True, return_counts=True)
    return float((counts[inverse] > 1).mean())


def my_ftrl_update(w, z, n, g, alpha, beta, l1, l2):
    sigma = (torch.sqrt(n + g * g) - torch.sqrt(n)) / alpha
    z = z + g - sigma * w
    n = n + g * g
    w = -(z - torch.sign(z) * l1) / ((beta + torch.sqrt(n)) / alpha + l2)
    return torch.where(z.abs() <= l1, torch.zeros_like(w), w), z, n


class MyWideDeep(nn.Module):
    def __init__(self, wide_size, deep_fields, dim, hidden, n_dense, history_items):
        super().__init__()
        self.wide = nn.EmbeddingBag(wide_size + 1, 1, mode="sum", padding_idx=wide_size, sparse=True)
        nn.init.zeros_(self.wide.weight)
        self.fields = MultiFieldEmbedding(deep_fields, dim)
        self.history = nn.EmbeddingBag(history_items + 1, dim, mode="mean", padding_idx=history_items)
        layers, width = [], len(deep_fields) * dim + n_dense + dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        self.deep = nn.Sequential(*layers, nn.Linear(width, 1))
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, wide_ids, deep_ids, dense, history):
        deep_input = torch.cat([self.fields(deep_ids).flatten(start_dim=1), dense, self.history(history)], dim=1)
        return self.bias + self.wide(wide_ids).squeeze(-1) + self.deep(deep_input).squeeze(-1)


def my_train_step(model, wide_optimizer, deep_optimizer, wide_ids, deep_ids, dense, history, labels):
    wide_optimizer.zero_grad()
    deep_optimizer.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(wide_ids, deep_ids, dense, history), labels)
    loss.backward()
    wide_optimizer.step()
    deep_optimizer.step()
    return loss.item()


for step, answer in (("collisions", my_collision_rate), ("ftrl", my_ftrl_update),
                     ("wide_deep", MyWideDeep), ("train", my_train_step)):
    print(build(step, answer))
build.assert_all_passed()

# %% [markdown]
# ## Exercise 1 - A movie's shrunk click rate
#
# Count each movie's clicks and views with `np.bincount` (with `minlength`, so that a movie
# training never showed still gets a slot), then add `prior` pseudo-views that all click at the
# global rate. A movie with no views gets exactly the global rate; a movie with many views keeps
# almost its own rate.

# %%
def movie_click_rate(items, labels, n_items, prior):
    labels = np.asarray(labels, dtype=float)
    rate = labels.mean()
    clicks = np.bincount(items, weights=labels, minlength=n_items)
    views = np.bincount(items, minlength=n_items)
    return (clicks + prior * rate) / (views + prior)


rates = movie_click_rate(task.train.item, task.train.label, task.n_items, 10.0)
print(f"test AUC of the shrunk movie click rate: {auc(task.test.label, rates[task.test.item]):.4f}")
check(1, movie_click_rate)

# %% [markdown]
# ## Exercise 2 - Collisions with fewer buckets
#
# Rebuild the task with 2**16 buckets for the hashed crosses and read the liked-movie x movie
# row of its collision table. Compare the number of distinct training pairs with the number of
# buckets: once the pairs outnumber the buckets several times over, few pairs can keep a bucket
# to themselves.

# %%
task16 = movielens_ctr(ml, cross_buckets=2 ** 16)
display(task16.crosses)
answer = float(task16.crosses.set_index("cross").loc[wd.LIKED_CROSS, "collision rate"])
check(2, answer)

# %% [markdown]
# ## Exercise 3 - Which wide weights FTRL leaves at zero
#
# The ids that count are the distinct ids of the training rows' wide features, less the
# padding id (`task.wide_size`, an absent feature, never learned): `np.unique` takes each id
# once. The share is then a mean over those rows of the table. Used on wide models trained at
# a few L1 strengths, it shows L1 trading weights for validation AUC.

# %%
def zero_share(model, task):
    used = np.unique(task.train.wide)
    used = used[used < task.wide_size]
    weights = model.wide.weight.detach().squeeze(1)[torch.from_numpy(used)]
    return float((weights == 0).float().mean())


for l1 in (4.0, SETTINGS["wide"].ftrl_l1):
    wide_model, history = recipe.train(task, replace(SETTINGS["wide"], ftrl_l1=l1), deep=False, seed=SEED)
    print(f"L1 {l1:g}: validation AUC {history.best_value:.4f}, {zero_share(wide_model, task):.1%} of the used "
          "wide weights exactly zero")
check(3, zero_share)

# %% [markdown]
# ## Exercise 4 - Early stopping for two parts
#
# The committed full-size run holds, for every model and seed, the epoch whose weights early
# stopping kept. Average it over the seeds for the wide model, the deep model and the joint
# model (all three with the paper's optimisers) and see which half the joint model resembles.

# %%
runs = Results.committed(wd.LESSON, "wide_deep_ml-100k").runs(model=["wide", "deep", "joint"],
                                                              optimizer=["FTRL+L1", "AdaGrad", recipe.PAPER])
kept = runs.pivot_table(index="seed", columns="model", values="best epoch")
display(kept)
means = kept.mean()
print(means.round(1).to_dict())
answer = "b" if abs(means["joint"] - means["deep"]) < abs(means["joint"] - means["wide"]) else "a"
print("the joint model keeps about the epoch of the", "deep" if answer == "b" else "wide", "half alone")
check(4, answer)

# %% [markdown]
# One early-stopping point serves both halves of the joint model. When it falls where the half
# that peaks sooner would stop, the other half is cut off before it has learned what it learns
# alone - one reason to try a longer patience, or a rate per part, on a joint model.
#
# ## Exercise 5 - The linear census model
#
# Build the census task, train the wide half alone (`deep=False`) with the settings the full
# run chose for the wide model, and count the test rows where the predicted probability, cut at
# 0.5, matches the label.

# %%
adult = adult_ctr(load_adult(verbose=False))
adult_settings = recipe.committed_settings("adult", wd.ADULT)
linear, _ = recipe.train(adult, adult_settings["wide"], deep=False, seed=SEED)
probabilities = 1 / (1 + np.exp(-predict_logits(linear, adult.test)))
answer = float(((probabilities >= 0.5) == (adult.test.label == 1)).mean())
print(f"linear census model: test accuracy {answer:.4f}")
check(5, linear, task=adult)

# %%
print(check.summary())

# %%
check.assert_all_passed()
