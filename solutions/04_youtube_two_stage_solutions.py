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
# # Lesson 04 - solutions to the exercises
#
# Worked answers to the exercises at the end of `notebooks/04_youtube_two_stage.ipynb`.
# Try them there first; each solution below ends with the same check the lesson runs.

# %%
import numpy as np

from recsys_course import config
from recsys_course.data import load_movielens, simulated_watch_log
from recsys_course.evaluation import catalogue
from recsys_course.lessons import exercises
from recsys_course.lessons.l04_youtube_two_stage import full_size, towers
from recsys_course.tasks import prepare_next_watch

config.seed_everything(0)
DATASET = "ml-100k"
ml = load_movielens(DATASET)
data = prepare_next_watch(ml.ratings, ml.users, ml.n_items, history_len=20)
full = full_size.load_results(DATASET)      # the committed full-size run
check = exercises("04", ml)

# %% [markdown]
# ## The build-it steps
#
# **The masked mean** multiplies the padding positions by zero and divides by the number of
# real items, at least 1. **The tower** pools with it, puts the demographics after the
# history, and normalises the tower's output; its item vectors are the rows of `items`, each
# scaled to length 1. **The in-batch loss** lowers each *column* by its item's log q and masks
# a repeat of the row's own target. **The training step** zeroes the gradients first (else
# each batch adds the earlier ones'), scores against the unit item vectors at the model's
# temperature, and steps after the backward pass. **Top-k** rules out the seen items before
# `topk`, which returns the largest first.

# %%
import torch
import torch.nn.functional as F
from torch import nn

from recsys_course.lessons import builds
from recsys_course.models import MultiFieldEmbedding

build = builds("04")


def my_masked_mean(vectors, history, pad):
    real = (history != pad).unsqueeze(-1).float()
    return (vectors * real).sum(dim=1) / real.sum(dim=1).clamp(min=1.0)


class MyTower(nn.Module):
    def __init__(self, n_items, user_fields, dim, hidden, field_dim=8):
        super().__init__()
        self.pad, self.temperature = n_items, 0.05
        self.history = nn.Embedding(n_items + 1, dim, padding_idx=n_items)
        nn.init.normal_(self.history.weight, std=0.1)
        self.fields = MultiFieldEmbedding(user_fields, field_dim)
        layers, width = [], dim + len(user_fields) * field_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        self.tower = nn.Sequential(*layers, nn.Linear(width, dim))
        self.items = nn.Embedding(n_items, dim)
        nn.init.normal_(self.items.weight, std=0.1)

    def forward(self, users, history, user_features):
        pooled = my_masked_mean(self.history(history), history, self.pad)
        demographics = self.fields(user_features).flatten(start_dim=1)
        return F.normalize(self.tower(torch.cat([pooled, demographics], dim=1)), dim=1)

    def item_vectors(self):
        return F.normalize(self.items.weight, dim=1)


def my_in_batch_loss(user_vectors, target_vectors, targets, log_q, temperature):
    logits = user_vectors @ target_vectors.T / temperature - log_q[targets][None, :]
    repeat = (targets[:, None] == targets[None, :]) & ~torch.eye(len(targets), dtype=torch.bool)
    return F.cross_entropy(logits.masked_fill(repeat, -torch.inf), torch.arange(len(targets)))


def my_train_step(model, optimizer, users, history, user_features, targets, log_q):
    optimizer.zero_grad()
    vectors = model(users, history, user_features)
    loss = my_in_batch_loss(vectors, model.item_vectors()[targets], targets, log_q, model.temperature)
    loss.backward()
    optimizer.step()
    return loss.item()


def my_top_k(user_vectors, item_vectors, k, seen):
    return (user_vectors @ item_vectors.T).masked_fill(seen, -torch.inf).topk(k, dim=1).indices


for step, answer in (("pool", my_masked_mean), ("tower", MyTower), ("in_batch", my_in_batch_loss),
                     ("train", my_train_step), ("top_k", my_top_k)):
    print(build(step, answer))
build.assert_all_passed()


# %% [markdown]
# ## Exercise 1 - Rank against the whole catalogue
#
# The rank is the number of competing items that score at least as high as the target. The
# competitors are the items the user has not seen, other than the target itself; `>=` makes a
# tie count against the target.

# %%
def rank_in_catalogue(scores, target, seen):
    scores, seen = np.asarray(scores), np.asarray(seen, dtype=bool)
    competitors = ~seen
    competitors[target] = False
    return int((scores[competitors] >= scores[target]).sum())


check(1, rank_in_catalogue)

# %% [markdown]
# ## Exercise 2 - The logQ correction
#
# An item drawn often as a negative gets pushed down often; subtracting $\log q_j$ from its
# logit takes that sampling advantage back. NumPy broadcasting applies the per-item `q` to
# every row of a 2-D batch.

# %%
def logq_correct(logits, q):
    return np.asarray(logits) - np.log(np.asarray(q))


check(2, logq_correct)

# %% [markdown]
# ## Exercise 3 - A tower that reads only the last movie
#
# `towers.train_tower` builds the variant's tower, trains it with early stopping on the
# validation users' Recall@50 and keeps the best epoch; `catalogue.on_next_watch` then ranks each
# test user's held-out movie against every movie the user has not rated. The check does the
# same with the tower it is handed. The prediction most readers make - one movie says less
# than twenty - is worth holding against section 2's table of ablations.

# %%
model, history = towers.train_tower("last item only", data, towers.Settings(), seed=0)
per_user = catalogue.on_next_watch(data, towers.tower_scores(model, data))
answer = per_user["recall@50"].mean()
print(f"best epoch {history.best_epoch}; test Recall@50 over the whole catalogue: {answer:.4f}")
check(3, model, data=data)

# %% [markdown]
# ## Exercise 4 - Where HNSW overtakes IVF
#
# Keep the settings that reach recall@10 >= 0.95, take each index's fastest one per
# catalogue size, and compare the two indexes size by size.

# %%
sweep = full["retrieval_scaling"]
good = sweep[sweep["index"].isin(["hnsw", "ivf"]) & (sweep["recall@10"] >= 0.95)]
cheapest = good.groupby(["items", "index"])["ms/query, batch 1"].min().unstack("index")
print(cheapest.round(4))
faster = cheapest.index[cheapest["hnsw"] < cheapest["ivf"]]
answer = int(faster.min()) if len(faster) else "never"
print("HNSW is first faster at", answer)
check(4, answer)

# %% [markdown]
# ## Exercise 5 - What weighted LR's odds converge to
#
# Section 4: over one context's impressions, weighted logistic regression's odds converge to
# the watch time of the clicked impressions divided by the number of unclicked ones. Minutes
# logged on an unclicked impression carry no weight in the loss (its weight is 1, its label
# 0), so they must not enter the sum.

# %%
def weighted_odds(clicked, minutes):
    clicked = np.asarray(clicked) == 1
    return np.asarray(minutes, dtype=float)[clicked].sum() / (~clicked).sum()


check(5, weighted_odds)

# %% [markdown]
# On a simulated log like the lesson's, the closed form per context, divided by the true watch
# time per impression $E[T]$, comes out close to the $1/(1 - P)$ the derivation predicts:

# %%
log, truth = simulated_watch_log(n_impressions=2_000_000, n_contexts=10, max_click=0.15, seed=0)
odds = np.array([weighted_odds(g["clicked"], g["watch_minutes"]) for _, g in log.groupby("context")])
comparison = truth.assign(**{"odds / E[T]": odds / truth["expected_watch"], "1 / (1 - P)": 1 / (1 - truth["p_click"])})
comparison[["p_click", "odds / E[T]", "1 / (1 - P)"]].round(3)

# %%
print(check.summary())

# %%
check.assert_all_passed()
