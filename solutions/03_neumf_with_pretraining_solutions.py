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
# # Lesson 03 - solutions to the exercises
#
# Worked answers to the exercises at the end of `notebooks/03_neumf_with_pretraining.ipynb`.
# Try them there first; each solution below ends with the same check the lesson runs.

# %%
import numpy as np
import torch

from recsys_course import config
from recsys_course.data import load_movielens
from recsys_course.evaluation import sampled
from recsys_course.lessons import exercises
from recsys_course.lessons.l03_neumf_with_pretraining import full_size, ncf
from recsys_course.models import NeuMF
from recsys_course.tasks import prepare_leave_one_out, to_implicit

config.seed_everything(0)
DATASET = "ml-100k"
SETTINGS = ncf.settings_for(DATASET)        # the lesson's default settings: 32 predictive factors
ml = load_movielens(DATASET)
loo = prepare_leave_one_out(to_implicit(ml.ratings), ml.n_users, ml.n_items, n_neg=99, seed=0)
full = full_size.load_results(DATASET)            # the committed full-size run
check = exercises("03", ml)

# %% [markdown]
# ## The build-it steps
#
# **GMF** is lesson 01's MF without the biases, with a `Linear` head over the product in place
# of the sum. **NeuMF's logit** concatenates the two paths' outputs, GMF first, each path
# reading its own tables. **The loss** pairs each row of negatives with its own user
# (`repeat_interleave`, not `repeat`) and takes one mean over every pair. **The fused head**
# scales GMF's half by `alpha` and the MLP's by `1 - alpha`, biases included.

# %%
import torch.nn.functional as F
from torch import nn

from recsys_course.lessons import builds

build = builds("03")


class MyGMF(nn.Module):
    def __init__(self, n_users, n_items, dim):
        super().__init__()
        self.user_emb, self.item_emb = nn.Embedding(n_users, dim), nn.Embedding(n_items, dim)
        self.head = nn.Linear(dim, 1)

    def forward(self, users, items):
        return self.head(self.user_emb(users) * self.item_emb(items)).squeeze(-1)


def my_neumf_logit(model, users, items):
    gmf = model.gmf.user_emb(users) * model.gmf.item_emb(items)
    mlp = model.mlp.tower(torch.cat([model.mlp.user_emb(users), model.mlp.item_emb(items)], dim=-1))
    return model.head(torch.cat([gmf, mlp], dim=-1)).squeeze(-1)


def my_sampled_bce(model, users, positives, negatives):
    n_neg = negatives.shape[1]
    scores = model(torch.cat([users, users.repeat_interleave(n_neg)]), torch.cat([positives, negatives.reshape(-1)]))
    labels = torch.cat([torch.ones(len(users)), torch.zeros(negatives.numel())])
    return F.binary_cross_entropy_with_logits(scores, labels)


def my_fused_head(gmf_head, mlp_head, alpha):
    weight = torch.cat([alpha * gmf_head.weight, (1 - alpha) * mlp_head.weight], dim=1)
    return weight.detach(), (alpha * gmf_head.bias + (1 - alpha) * mlp_head.bias).detach()


for step, answer in (("gmf", MyGMF), ("neumf", my_neumf_logit), ("loss", my_sampled_bce), ("fuse", my_fused_head)):
    print(build(step, answer))
build.assert_all_passed()


# %% [markdown]
# ## Exercise 1 - NDCG@k from ranks
#
# With one held-out item per user, the ideal list has that item at rank 0, so the ideal DCG is
# 1 and NDCG is just the discounted gain of the item's own rank: $1/\log_2(r + 2)$ when the
# 0-based rank $r$ is inside the top $k$ (that is, $r < k$), and 0 otherwise. The mean over
# users is the metric. `np.where` evaluates both branches, so the discount is computed for
# every rank; it is finite for any rank >= 0.

# %%
def ndcg_from_ranks(ranks, k):
    ranks = np.asarray(ranks, dtype=float)
    gains = np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)
    return gains.mean()


check(1, ndcg_from_ranks)

# %% [markdown]
# ## Exercise 2 - The rank of the held-out item
#
# The rank of column 0 is the number of negatives that score at least as high as it. Using
# `>=` rather than `>` makes a tie count against the held-out item, so a model that gives every
# candidate the same score ranks its item last instead of first.

# %%
def rank_of_held_out(scores):
    scores = np.asarray(scores)
    return (scores[:, 1:] >= scores[:, [0]]).sum(axis=1)


check(2, rank_of_held_out)

# %% [markdown]
# ## Exercise 3 - Popularity on the validation items
#
# Popularity scores an item by how often it appears in the training interactions - only
# those, since the validation and test items are what we predict. `np.bincount` counts them;
# indexing the counts with the candidate matrix gives a score matrix of the same shape, whose
# column 0 belongs to the validation item.

# %%
counts = np.bincount(loo.train["item"].to_numpy(), minlength=ml.n_items)
valid_ranks = rank_of_held_out(counts[loo.valid_candidates])
answer = ndcg_from_ranks(valid_ranks, 10)
print(f"popularity, validation NDCG@10: {answer:.4f}; HR@10: {(valid_ranks < 10).mean():.4f}")
check(3, answer)

# %% [markdown]
# ## Exercise 4 - Fused GMF + MLP, before fine-tuning
#
# Train GMF and the MLP on seed 0 at the lesson's settings (early stopping on the validation
# item chooses their epochs), fuse them with alpha = 0.5 and score the fused model on the test
# candidates. Nothing is trained after the fusion: the fused logit is the average of the two
# models' logits. The two trainings take well under a minute on a laptop CPU. The check
# scores the fused model itself on the test candidates.

# %%
trained = {}
for name in ["GMF", "MLP"]:
    torch.manual_seed(0)
    trained[name] = ncf.make_model(name, loo, SETTINGS)
    ncf.train(trained[name], loo, SETTINGS, seed=0)
fused = NeuMF.from_pretrained(trained["GMF"], trained["MLP"], alpha=0.5).to(config.get_device())
row, per_user = sampled.report(fused, loo)
answer = row["hr@10"]
print(f"fused GMF + MLP, test HR@10: {answer:.4f}")
check(4, fused, loo=loo)

# %% [markdown]
# ## Exercise 5 - What SGD fine-tuning did
#
# Put the SGD rows beside the fused rows of the same seeds at 32 factors. A `best epoch` of 0
# means that no epoch of fine-tuning beat the fused start on validation, so the kept weights
# are the fused start and the test numbers match the fused model's exactly. We count those
# runs, measure how far the others moved test HR@10, and check whether SGD fell below NeuMF
# from scratch, before choosing.

# %%
runs = full.frame().query("experiment == 'models' and factors == 32").set_index(["model", "seed"])
sgd, fused_rows = runs.loc["NeuMF (pretrained, SGD)"], runs.loc["GMF+MLP (fused, not fine-tuned)"]
scratch = runs.loc["NeuMF (scratch)"]
print(sgd[["best epoch", "hr@10", "ndcg@10"]].join(fused_rows[["hr@10", "ndcg@10"]].add_suffix(" (fused)")))
kept_start = int((sgd["best epoch"] == 0).sum())
largest_move = float((sgd["hr@10"] - fused_rows["hr@10"]).abs().max())
far_below_scratch = bool((sgd["hr@10"] < scratch["hr@10"] - 0.05).any())
answer = ("b" if kept_start > len(sgd) / 2 and largest_move < 0.002
          else "c" if far_below_scratch else "a")
print(f"{kept_start} of {len(sgd)} SGD runs kept the fused start; the largest change of test HR@10: "
      f"{largest_move:.4f}; answer {answer!r}")
check(5, answer)

# %%
print(check.summary())

# %%
check.assert_all_passed()
