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
# # Lesson 04 - The YouTube two-stage recommender: a candidate tower, faiss retrieval and a weighted-LR ranker
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/recsys-course/recsys-course/blob/main/notebooks/04_youtube_two_stage.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/recsys-course/recsys-course/HEAD?labpath=notebooks%2F04_youtube_two_stage.ipynb)
#
# **Follows** the companion article, *Recommendation Systems (3): Deep Learning Foundations*:
# its part on YouTube's two-stage recommender and its candidate-generation and ranking chart
# (chart 4).
#
# *Deep Neural Networks for YouTube Recommendations* (Covington et al., RecSys 2016) split a
# recommender in two. A **candidate generator** treats "what will this user watch next?" as a
# classification over the whole catalogue, trained with a sampled softmax; at serving time an
# approximate nearest-neighbour (ANN) index returns a few hundred videos for the user vector in
# milliseconds. A **ranker** scores only those few hundred, with more features, trained by
# *weighted* logistic regression so that its odds estimate watch time. This lesson builds both
# stages on MovieLens 100K and measures what each shortcut costs.
#
# **You will learn to**
# - turn rating histories into next-watch examples with no look-ahead, and rank against the *whole* catalogue;
# - build the candidate tower and its in-batch softmax with the logQ correction, and train it with your own step;
# - measure exact and approximate (faiss HNSW, IVF) search as the catalogue grows to a million items;
# - check what weighted logistic regression learns, and rank the retrieved candidates;
# - serve `recommend(user, k)` end to end and time each stage.
#
# The notebook trains a few models on one seed; the verdicts use the committed full-size runs
# (`python -m recsys_course run 04/towers`, `04/rankers`, `04/serving`: four seeds, catalogues
# up to 10^6 items).

# %%
# Setup: on Colab, fetch and install the course: its package and the committed results the lessons read.
# Run it again, or after a restart: it reuses the copy and updates it. Locally and on Binder it does nothing.
import sys
if "google.colab" in sys.modules:
    import os, runpy, subprocess
    REPO, URL = "/content/recsys-course", "https://github.com/recsys-course/recsys-course"
    if not os.path.isdir(REPO + "/.git"):  # a fresh runtime: clone first, the setup is part of the course
        subprocess.run(["git", "clone", "-q", "--depth", "1", URL, REPO], check=True)
    runpy.run_path(REPO + "/recsys_course/colab.py")["setup"](REPO, URL)  # see recsys_course/colab.py

# %%
import dataclasses

import numpy as np
import pandas as pd
import torch
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from recsys_course import config, evidence, plots
from recsys_course.data import load_movielens, simulated_watch_log
from recsys_course.evaluation import catalogue
from recsys_course.evidence import Results, paired_effect
from recsys_course.models import CandidateTower, SoftmaxLoss
from recsys_course.serving.indexes import ExactIndex, FaissIndex, recall_against
from recsys_course.serving.two_stage import TwoStageRecommender
from recsys_course.tasks import prepare_leave_one_out, prepare_next_watch, to_implicit
from recsys_course.tasks.next_watch import example_arrays, split_latest
# this lesson's own code, in recsys_course/lessons/l04_youtube_two_stage/ (open any module to read it)
from recsys_course.lessons.l04_youtube_two_stage import (catalogues, engagement, figures, full_size, ranker,
                                                       scaling, towers, tuning)
from recsys_course.lessons.l04_youtube_two_stage import claims as two_stage_claims  # `claims` names the records below
from recsys_course.lessons.l04_youtube_two_stage import serving_claims
from recsys_course.lessons import builds   # the build-it steps: your code, checked against the course's

plots.use_course_style()
DATASET = "ml-100k"                 # "ml-1m" also works (needs a download; about 10x slower)
FAST = config.fast_mode()
SETTINGS = towers.fast_settings(towers.Settings()) if FAST else towers.Settings()
SEED = 0
SIZES = (10_000,) if FAST else (100_000,)     # the catalogue size measured live; the full-size run goes to 10^6
config.seed_everything(SEED)
print("device:", config.get_device(), "| fast mode:", FAST)
print(SETTINGS)

# %% [markdown]
# ## 1. Next-watch examples, and ranking the whole catalogue
#
# Sort each user's ratings by time and read them as a watch sequence. Every rating becomes
# one training example: the **target** is the rated movie; the **input** is the user's
# previous 20 movies (latest first, padded with a reserved id when there are fewer), plus
# their age group, gender and occupation. The split is the one of lessons 02-03 - each user's
# latest rating is the test target, the one before it the validation target - so the numbers
# can be set beside the earlier lessons'.

# %%
ml = load_movielens(DATASET)
data = prepare_next_watch(ml.ratings, ml.users, ml.n_items, history_len=20)
print(ml.summary())
print(data.describe())
print("demographic fields and their sizes:", data.user_fields)

# %%
# NBVAL_CHECK_OUTPUT
print(len(data.train), len(data.valid), len(data.test), data.train.history.shape)

# %% [markdown]
# One test example, in titles. MovieLens logs *ratings*, often dozens in one sitting, many in
# the same second - and those have no order. So the held-out movie is drawn among a user's
# latest tied movies, and a history holds only movies rated in a strictly *earlier* second;
# ordering ties by a fixed key would let a model learn the key. How often the rule matters:

# %%
titles = ml.movies["title"].to_numpy()
row = 0
shown = [titles[i] for i in data.test.history[row] if i != data.pad][:6]
print(f"user {data.test.user[row]} watched, latest first: {shown} ...")
print(f"and next watched: {titles[data.test.target[row]]}")
same_second = data.valid.timestamp == data.test.timestamp
print(f"{same_second.mean():.0%} of test targets share their second with the validation target, "
      f"so their history does not hold it")

# %% [markdown]
# **How we score.** For each test user the model scores all 1,682 movies; the ones the user
# already rated are left out, and the held-out movie's **rank** among the rest decides (rank 0
# is the top). **Recall@K** is the share of users whose held-out movie lands in the top K - with
# one held-out movie, lesson 03's HR@K - and **NDCG@10** also rewards being near the top.
#
# Lesson 03 ranked it against 99 sampled negatives instead; Krichene and Rendle (KDD 2020)
# showed that such *sampled* metrics need not agree with the full ranking, which a candidate
# generator serves. Section 2 measures how far the two disagree.
#
# **What every model knows.** At the test target a tower reads every movie rated in a strictly
# earlier second, usually the validation movie included. The models that read no history get
# the same: MF, EASE (below) and the user-id tower are refitted with those ratings before the
# test. The baseline every model must beat recommends the most-watched movies (its `auc` is the
# share of the other unseen movies the held-out one outscores):

# %%
popularity = catalogue.on_next_watch(data, towers.popularity_scores(data), "test")
popularity.drop(columns=["user", "rank"]).mean().round(4).to_frame("popularity").T

# %% [markdown]
# ## 2. The candidate tower
#
# The tower turns a user's context into one vector $u$:
#
# 1. look up an embedding for each movie in the history and take their **masked mean** - the
#    padding positions are multiplied by zero and not counted in the average;
# 2. concatenate it with an embedding of each demographic field;
# 3. pass it through ReLU layers (256, 128, 64 here; the paper used 1024, 512, 256), and a
#    last linear layer to the item space;
# 4. divide by its length, so $\|u\| = 1$.
#
# Every movie $j$ has a unit output vector $v_j$ and the score $\cos(u, v_j)/\tau$, with a
# temperature $\tau = 0.05$ (Yi et al. 2019; without it, logits in [-1, 1] could never make a
# confident softmax). Training is next-item classification: a softmax over movies.
#
# Build it yourself, in two steps. `my_masked_mean` averages each row's vectors over the
# positions that hold a movie (`history != pad`). `MyTower` has the parts the scaffold names:
# `history` (item embeddings plus a padding row), `fields` (lesson 02's `MultiFieldEmbedding`,
# `[batch, fields, field_dim]`, flattened), `tower` (the layers) and `items`; `forward` runs the
# four steps, `item_vectors()` gives the unit item table (`users` serves only the variant with
# a vector per user). Each check copies the course's weights into yours and compares the two on
# inputs this notebook never shows; `build.use` goes on with the course's if yours is not there.

# %%
from torch import nn
import torch.nn.functional as F

from recsys_course.models import MultiFieldEmbedding

build = builds("04")


def my_masked_mean(vectors, history, pad):
    """The mean of each row's vectors [batch, L, d] over the positions whose id in history [batch, L] is not pad;
    a history of padding only gives zeros."""
    raise NotImplementedError


my_masked_mean = build.use("pool", my_masked_mean)


class MyTower(nn.Module):
    """History and demographics -> ReLU layers -> a unit user vector; a unit output vector per item."""

    def __init__(self, n_items, user_fields, dim, hidden, field_dim=8):
        super().__init__()
        self.pad, self.temperature = n_items, 0.05
        self.history = ...   # n_items + 1 rows of dim (the last is padding: padding_idx=n_items), drawn N(0, 0.1^2)
        self.fields = ...    # MultiFieldEmbedding(user_fields, field_dim)
        self.tower = ...     # nn.Sequential: Linear + ReLU per size in hidden, then a Linear to dim; the first
                             # reads dim + len(user_fields) * field_dim numbers: the pooled history, then demographics
        self.items = ...     # n_items rows of dim, drawn N(0, 0.1^2) (nn.init.normal_(..., std=0.1))

    def forward(self, users, history, user_features):
        raise NotImplementedError   # unit user vectors, [batch, dim]

    def item_vectors(self):
        raise NotImplementedError   # unit item vectors, [n_items, dim]


MyTower = build.use("tower", MyTower)

# %% [markdown]
# The masked mean in action - a padding row full of large numbers changes nothing:

# %%
tower = CandidateTower(data.n_items, data.user_fields, dim=SETTINGS.dim, hidden=SETTINGS.hidden)
full_rows = np.flatnonzero((data.train.history != data.pad).all(axis=1))[:4]     # four examples with 20 movies
users, history, features = (torch.tensor(a) for a in example_arrays(data, data.train.subset(full_rows)))
history[0, 3:] = data.pad                                   # pretend the first one has watched only 3 movies
before = tower.pooled_history(users, history)
with torch.no_grad():
    tower.history.weight[data.pad] = 1e3                    # a padding row that is not zero
after = tower.pooled_history(users, history)
assert torch.allclose(before, after)
assert torch.allclose(after[0], tower.history.weight[history[0, :3]].mean(0))
vectors = tower(users, history, features)
mine = build.with_weights(MyTower, tower, data.n_items, data.user_fields, SETTINGS.dim, SETTINGS.hidden)
torch.testing.assert_close(mine(users, history, features), vectors)                   # yours, on real examples
print("user vectors:", tuple(vectors.shape), "| unit length:", torch.allclose(vectors.norm(dim=1), torch.ones(4)))

# %% [markdown]
# The course's tower, from `recsys_course/models/candidates.py` (it also offers the two other
# ways of pooling that section 2's ablation compares):

# %%
display(build.source(CandidateTower.pooled_history, CandidateTower.forward))

# %% [markdown]
# **Six ways to train it: the full softmax and five approximations.** A softmax over every
# item costs one dot product per item per example: affordable for 1,682 movies, not for
# YouTube's millions. The approximations, named as in the tables below:
#
# - **sampled softmax** (`sampled, uniform`; `sampled, popularity`): the target against 256
#   items drawn for the batch, uniformly or in proportion to how often each movie is a target;
# - **in-batch negatives** (`in-batch`): the other examples' targets in the batch are the
#   negatives - free, but popular movies turn up far more often than rare ones;
# - the popularity-shaped two **with the logQ correction** (`... + logQ`; Yi et al., RecSys
#   2019): subtract $\log q_j$, the log-probability that item $j$ is drawn as a negative, from
#   its logit, so that popular movies are not pushed down merely for being drawn often ($q_j$
#   here: the movie's share of training targets, a simplification for the most popular ones).
#
# `SoftmaxLoss` implements all of them. With every item as the sample and no correction, the
# sampled loss *is* the full softmax:

# %%
targets = torch.tensor(data.train.target[full_rows])
full_loss = SoftmaxLoss(tower, "full")(vectors, targets)
all_items = SoftmaxLoss(tower, "sampled", samples=np.arange(data.n_items))(vectors, targets)
assert torch.allclose(full_loss, all_items)
print(f"full softmax {full_loss.item():.4f} = sampled softmax over every item {all_items.item():.4f}")

# %% [markdown]
# Write the in-batch loss with the correction: the logits are the user vectors against the
# batch's target vectors, divided by the temperature, each *column* lowered by the log q of
# its item; a repeat of the row's own target elsewhere in the batch is masked to $-\infty$;
# cross-entropy with each row's own column as the label. `log_q` holds one number per item,
# indexed by item id. On this batch, yours must give `SoftmaxLoss`'s number:

# %%
def my_in_batch_loss(user_vectors, target_vectors, targets, log_q, temperature):
    """Cross-entropy of each row's target against the batch's other targets, with the logQ correction."""
    raise NotImplementedError


my_in_batch_loss = build.use("in_batch", my_in_batch_loss)
share = np.bincount(data.train.target, minlength=data.n_items) / len(data.train.target)
log_q = torch.log(torch.as_tensor(share, dtype=torch.float32).clamp(min=1e-12))
course_loss = SoftmaxLoss(tower, "in-batch", probs=share, logq=True)(vectors, targets)
my_loss = my_in_batch_loss(vectors, tower.item_vectors()[targets], targets, log_q, tower.temperature)
torch.testing.assert_close(my_loss, course_loss)
print(f"in-batch softmax with logQ on {len(targets)} examples: yours {my_loss.item():.4f}, "
      f"SoftmaxLoss {course_loss.item():.4f}")

# %% [markdown]
# ### Train your tower with your loss
#
# One training step is five lines: zero the gradients, the batch's user vectors, your in-batch
# loss against the unit item vectors of the batch's targets at `model.temperature`, backward,
# and a step of the optimizer; return the loss as a number. The check runs yours beside the
# course's over a few batches from the same start and compares the losses and the weights they
# end with.

# %%
def my_train_step(model, optimizer, users, history, user_features, targets, log_q):
    """One step of in-batch training with the logQ correction; returns the batch's loss (a float)."""
    raise NotImplementedError


my_train_step = build.use("train", my_train_step)

# %% [markdown]
# Your tower, trained by your step for three epochs (batches of 1,024, Adam at 2e-3): validation
# Recall@50 over the whole catalogue after each epoch - a random ranking scores about 0.03.
# (The numbers shown are the course's tower's; yours differ a little unless drawn as scaffolded.)

# %%
torch.manual_seed(SEED)
my_tower = MyTower(data.n_items, data.user_fields, SETTINGS.dim, SETTINGS.hidden)
optimizer = torch.optim.Adam(my_tower.parameters(), lr=SETTINGS.lr)
train_columns = [torch.tensor(a) for a in (*example_arrays(data, data.train), data.train.target)]
valid_inputs = [torch.tensor(a) for a in example_arrays(data, data.valid)]


def valid_recall(model):
    with torch.no_grad():
        scores = model(*valid_inputs) @ model.item_vectors().T
    return catalogue.on_next_watch(data, scores.numpy(), "valid")["recall@50"].mean()


print(f"before training: validation Recall@50 {valid_recall(my_tower):.4f}")
shuffle = torch.Generator().manual_seed(SEED)
for epoch in range(1, 4):
    batches = torch.randperm(len(data.train.target), generator=shuffle).split(SETTINGS.batch_size)
    losses = [my_train_step(my_tower, optimizer, *(c[rows] for c in train_columns), log_q) for rows in batches]
    print(f"epoch {epoch}: mean loss {np.mean(losses):.3f}, validation Recall@50 {valid_recall(my_tower):.4f}")

# %% [markdown]
# That is the whole of training. The course's loop, `fit_next_item`, runs the same step and
# adds early stopping on validation Recall@50 with the best epoch's weights kept (lesson 06 has
# you write such a loop). Here it trains the two in-batch variants Yi et al. compared, on one
# seed; the full-size run trains every variant and lesson 03's MF on four seeds. `loo`, lesson
# 03's split with 99 sampled negatives, scores the same models the lesson-03 way:

# %%
loo = prepare_leave_one_out(to_implicit(ml.ratings), ml.n_users, ml.n_items, n_neg=99, seed=0)
assert np.array_equal(loo.test["item"].to_numpy(), data.test.target)      # the same split, the same test movies
results, trained = Results(), {}
towers.compare_towers(data, SETTINGS, seeds=(SEED,), variants=["in-batch", "in-batch + logQ"], with_mf=False,
                      results=results, sampled_candidates=loo.test_candidates, keep=trained)
live = results.frame().set_index("model")
live[["recall@10", "recall@50", "recall@100", "ndcg@10", "sampled hr@10", "best epoch"]].round(4)

# %% [markdown]
# The full-size results add two **ablations** of the `full softmax` tower, each changing one
# thing: the history as the **last item only** or **no history** (a vector per user id, as in
# MF); and **depth** 0 to 2 ReLU layers instead of 3. Two baselines a tower must beat: lesson
# 03's MF, and **EASE** (Steck, WWW 2019), item-to-item weights $B$ minimising
# $\|X - XB\|^2 + \lambda\|B\|^2$ with $\operatorname{diag}(B) = 0$ in closed form - lesson 03
# met it. The best *loss* variant is chosen on validation Recall@50 (`valid`):

# %%
full = None if ml.is_synthetic else full_size.load_results(DATASET)
tower_runs = full["towers"] if full is not None else results
n_seeds = tower_runs.frame()["seed"].nunique()
table = tower_runs.frame().groupby("model", sort=False)[
    ["recall@10", "recall@50", "recall@100", "ndcg@10", "sampled hr@10", "valid", "epochs run"]].mean()
best = towers.best_variant(tower_runs, [m for m in towers.LOSS_VARIANTS if m in table.index])
print(f"{n_seeds} seed(s); best loss variant on validation: {best}")
ease, ease_grid = towers.fit_ease(data)
print("EASE, validation Recall@50 by ridge penalty:",
      ", ".join(f"{l2:g}: {v:.4f}" for l2, v in zip(ease_grid["l2"], ease_grid["valid"])))
print(evidence.edge_note(evidence.edge_report({"EASE's ridge penalty": (towers.EASE_L2, ease.l2)})))
table[["recall@10", "recall@50", "sampled hr@10", "valid", "epochs run"]].round(4)   # and recall@100, ndcg@10

# %%
groups = [["popularity", "EASE", "MF"], towers.LOSS_VARIANTS, ["last item only", "no history (user id)"],
          ["depth 0", "depth 1", "depth 2"]]
groups = [[m for m in group if m in table.index] for group in groups]
fig, ax = plt.subplots(figsize=(7, 0.3 * sum(map(len, groups)) + 1.5))
figures.model_bars(tower_runs, [g for g in groups if g], ax)
ax.set_title(f"Candidate generation on {ml.name}: test Recall@50 over the whole catalogue")
plots.save_fig(fig, "04_candidate_towers")
plt.show()

# %% [markdown]
# **One tuning budget for every variant a claim compares.** The variants above share one
# learning rate and temperature; a comparison in which only one side was tuned measures the
# tuning as much as the model. So each variant a claim compares gets the same grid of three
# rates by three temperatures (`04/tower_tuning`), then four seeds at its own best
# (`04/tuned_towers`); MF gets as many settings (`04/mf_tuning`). Section 6 judges on these:

# %%
print(f"shared settings: learning rate {SETTINGS.lr:g}, temperature {SETTINGS.temperature:g}")
if full is not None and full["tuned_towers"] is not None:
    tower_grid = full["tower_grid"]       # every variant's 3 x 3 grid of validation Recall@50
    print(evidence.edge_note(tuning.edges(tower_grid), brief=True))   # without brief=True, it names each one
    own = full["tuned_towers"].frame().groupby("model", sort=False)
    runner_up = tower_grid.groupby("variant", sort=False)["valid"].apply(lambda v: v.nlargest(2).diff().abs().iloc[-1])
    # how sure is each choice? the margin by which the grid's best setting won, beside how much the validation
    # score of that one setting moves from seed to seed
    display(pd.DataFrame({"lr": own["lr"].first(), "temperature": own["temperature"].first(),
                          "test, shared (patience 3)": table["recall@50"],
                          "test, own best (patience 5)": own["recall@50"].mean(),
                          "valid: best - runner-up": runner_up,
                          "valid: sd over seeds": own["valid"].std()}).loc[list(runner_up.index)]
            .round(4).rename_axis(columns="Recall@50"))
    tuned_runs = full["tuned_towers"].frame()
    cap = towers.Settings().max_epochs        # the full-size runs' cap
    for what, runs_ in (("tuned runs", tuned_runs), ("grid runs", tower_grid)):
        capped = runs_[runs_["epochs run"] >= cap]
        names = sorted(set(capped["model" if "model" in capped else "variant"]))
        print(f"{len(capped)} of {len(runs_)} {what} reached the {cap}-epoch cap"
              + (f" ({', '.join(names)}): they might have improved further" if len(capped) else ""))
if full is not None and full["mf_tuning"] is not None:
    mf_own = full["mf_tuning"].frame()
    print(f"MF: learning rate {mf_own['lr'].iloc[0]:g} and weight decay {mf_own['weight_decay'].iloc[0]:g} chosen "
          f"on validation; test Recall@50 {mf_own['recall@50'].mean():.4f} (at lesson 03's settings: "
          f"{table.loc['MF', 'recall@50']:.4f})")
    print(evidence.edge_note(tuning.mf_edges(full["mf_grid"])))

# %% [markdown]
# **Sampled metrics versus the full ranking.** The `sampled hr@10` column scores the same
# models the lesson-03 way - the held-out movie against 99 random ones. Every model looks far
# better that way, and the gaps between models change size - most for a model that is good
# at the head of the catalogue, since 99 random movies are mostly obscure ones that even a
# weak model outscores:

# %%
gaps = towers.protocol_gaps(table, [("MF", "popularity"), (best, "popularity"), (best, "MF"),
                                    ("full softmax", "depth 0"), ("full softmax", "last item only")])
display(gaps.round(4))
widest = gaps["sampled / full"].abs().idxmax()
display(Markdown(f"The largest distortion: **{widest}** is {gaps.loc[widest, 'full recall@10 gap']:+.4f} in "
                 f"full-catalogue Recall@10 but {gaps.loc[widest, 'sampled hr@10 gap']:+.4f} in sampled HR@10 "
                 f"({gaps.loc[widest, 'sampled / full']:.1f} times as large), on the mean of "
                 f"{n_seeds} seed(s)."))

# %% [markdown]
# ## 3. Retrieval: exact search against faiss
#
# At serving time the user vector is the query and the item vectors the database: the top K
# by inner product. **Exact** search is a matrix product and a `topk`, its cost growing with
# the catalogue. `faiss` offers, behind the same interface (`recsys_course.serving.indexes`):
#
# - `flat` - exact, with faiss's own kernels;
# - `hnsw` - a layered graph in which each item links to about `M` near neighbours, walked
#   greedily from the top; `efSearch`, the candidates the walk keeps, trades speed for recall;
# - `ivf` - k-means cells; a query scans only the `nprobe` nearest cells.
#
# On MovieLens's 1,682 trained item vectors, how much of the exact top 10 does HNSW find?

# %%
model = trained["in-batch + logQ", SEED]           # the live run's tower with the logQ correction
item_vectors = model.item_vectors().detach().cpu().numpy()
# real user vectors, 1,000 from each half of the users: one half chooses settings, the other tests them
queries, valid_queries = towers.split_queries(model, data)
exact_ids = ExactIndex(item_vectors).search(queries, 10)[1]
hnsw = FaissIndex("hnsw", item_vectors)
hnsw.set_search(64)
print(hnsw.describe(), f"- recall@10 against exact search: {recall_against(exact_ids, hnsw.search(queries, 10)[1], 10):.3f}")

# %% [markdown]
# Exact search is short enough to write: score every item, rule out what the user has seen,
# keep the k best, best first.

# %%
def my_top_k(user_vectors, item_vectors, k, seen):
    """Each user's k best item ids by inner product, best first, among the items `seen` [users, items] marks False:
    a LongTensor [users, k]."""
    raise NotImplementedError


my_top_k = build.use("top_k", my_top_k)
nothing_seen = torch.zeros(len(queries), len(item_vectors), dtype=torch.bool)
mine = my_top_k(torch.as_tensor(queries), torch.as_tensor(item_vectors), 10, nothing_seen).numpy()
same_top = (np.sort(mine, axis=1) == np.sort(exact_ids, axis=1)).all(axis=1).mean()
print(f"your top 10 is ExactIndex's for {same_top:.1%} of the {len(queries):,} queries")

# %% [markdown]
# A catalogue of 1,682 items is no test of an index, so we grow bigger ones whose
# **neighbourhoods look like the learned vectors'**. How hard a search is depends on how many
# directions a point's neighbours spread over - its *local intrinsic dimension*: when it is
# high, every neighbour is about equally far and a graph walk cannot tell which way to go.
# `catalogues.neighbour_catalogue` makes each new item from a learned item and one of its 10
# nearest neighbours - a point between them plus Gaussian noise - and `catalogues.fit_spread`
# chooses the size of the noise that gives the learned vectors' local dimension.

# %%
spread, fits = catalogues.fit_spread(item_vectors, SIZES[-1])
fitted = fits.loc[fits["spread"] == spread].iloc[0]
learned_lid = fitted["learned vectors' local dimension"]
print(f"spread {spread:g}: local dimension {fitted['local dimension']:.1f} at {SIZES[-1]:,} items, against "
      f"{learned_lid:.1f} for the learned vectors")

# %% [markdown]
# Now the sweep. 1,000 **validation queries** (real user vectors, from half of the users)
# choose the HNSW setting - the fastest that finds at least 95% of the exact top 10 - and
# 1,000 **test queries** from the other half measure every index: recall@10 against exact
# search, latency per query one at a time (batch 1, as a server answers a user), the speed-up
# over exact search, build time and memory (`value` is efSearch or nprobe). Here one HNSW build
# (efConstruction 64) on 100,000 items (FAST: 10,000); the full-size run's better builds can
# change which index wins:

# %%
LIVE_SWEEPS = {"hnsw": (16, 32, 64, 128, 256, 512), "ivf": (1, 4, 16, 64, 256)}   # the full-size run adds 1024
sweep = scaling.index_sweep(item_vectors, queries, valid_queries, SIZES, builds=scaling.HNSW_BUILDS[1:2],
                            sweeps=LIVE_SWEEPS, n_timed=100, progress=None)
columns = ["index", "value", "recall@10", "ms/query, batch 1", "speed-up", "chosen", "build s", "memory MB"]
sweep[columns].round(3)   # sweep.columns also holds the batched latency, the speed-up's interval, validation recall

# %% [markdown]
# The full-size run (`python -m recsys_course run 04/serving`) adds a catalogue of 10^6 items
# and four HNSW builds, on its own trained tower (so its learned vectors' local dimension is
# its own). Per catalogue size: recall against latency on the test queries (each
# point an `efSearch` or `nprobe` setting; the star is the setting chosen on validation). The
# last panel asks when two stages pay, timing a **whole request** for one user both ways:
# rank every item (the user vector, every item's ranking features, the ranker of section 4), or
# retrieve 100 with the chosen HNSW and rank those. The lines are latency budgets: 10 ms is the
# one Wide & Deep's authors served each request in (Cheng et al. 2016, section 4.3); 50 and 100
# ms are shown beside it.

# %%
if full is not None:
    sweep_all, requests, cross = full["retrieval_scaling"], full["request_latency"], full["crossover"]
    scaling_evidence = "lesson 04 section 3; full-size run (results/04_youtube_two_stage/)"
    learned_and_grown = full["catalogue_structure"].iloc[:2]     # (the table also holds an older way of growing)
    display(Markdown("\n".join(f"- {line}" for line in catalogues.structure_summary(learned_and_grown))))
    chosen = scaling.chosen_rows(sweep_all).iloc[-1]   # the largest catalogue's HNSW, chosen on validation
    print(evidence.edge_note(evidence.edge_report({
        "HNSW efConstruction": ([e for m, e in scaling.HNSW_BUILDS if m == chosen["M"]], chosen["efConstruction"]),
        "HNSW efSearch": (scaling.SWEEPS["hnsw"], chosen["value"])})))
else:
    sweep_all, requests, cross = sweep, None, None
    scaling_evidence = f"lesson 04 section 3; this notebook's run on {ml.name}"
fig = figures.scaling_figure(sweep_all, requests, cross, scaling.BUDGETS_MS)
plots.save_fig(fig, "04_retrieval_scaling")
plt.show()

# %% [markdown]
# What the full-size measurements say, in numbers (each sentence written from them):

# %%
lines = scaling.scaling_summary(sweep_all, cross, requests)
display(Markdown("\n".join(f"- {line}" for line in lines)))

# %% [markdown]
# For scale: the faiss wiki reports HNSW on SIFT1M (a million 128-d descriptors) finding the
# true nearest neighbour first for 0.874-0.992 of queries at efSearch 16-256, batched on 20
# threads - an easier search than ours, which needs a far larger efSearch.
#
# ## 4. The ranking stage and weighted logistic regression
#
# **What weighted LR learns.** YouTube's ranker predicts *watch time*: logistic regression on
# impressions, each clicked one weighted by its watch time $T$, each unclicked one by 1. Its
# **odds** are $p/(1-p) = e^{\text{logit}}$, and section 4.2 of the paper derives that over $N$
# impressions with $k$ clicks they approach $\sum_{\text{clicked}} T_i / (N - k)$. Dividing by
# $N$: $E[T]\,/(1 - P)$, with $E[T]$ the expected watch time *per impression* and $P$ the click
# rate - about $E[T]$ when $P$ is small. We check it on a simulated log of 40 contexts, each
# with its own click rate (1-15%) and watch time per click, one logit per context
# (`engagement.group_logits`):

# %%
MAX_CLICK = 0.15
log, truth = simulated_watch_log(n_impressions=2_000_000, n_contexts=40, max_click=MAX_CLICK, seed=SEED)
clicked = log["clicked"].to_numpy()
watch_weights = np.where(clicked == 1, log["watch_minutes"].to_numpy(), 1.0)   # positives: minutes; negatives: 1
weighted_odds = np.exp(engagement.group_logits(log["context"], clicked, watch_weights, len(truth)))
plain_p = 1 / (1 + np.exp(-engagement.group_logits(log["context"], clicked, np.ones(len(log)), len(truth))))

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
axes[0].scatter(truth["expected_watch"], weighted_odds, s=14, color="#d62728", label="weighted LR: exp(logit)")
axes[0].scatter(truth["expected_watch"], truth["expected_watch"] / (1 - truth["p_click"]), s=18, marker="x",
                color="#555555", label="E[T] / (1 - P), the derivation's value")
top = max(truth["expected_watch"].max(), weighted_odds.max()) * 1.05
axes[0].plot([0, top], [0, top], color="#999999", ls="--", lw=1)
axes[0].set(xlabel="true E[watch minutes] per impression", ylabel="odds",
            title="weighted LR tracks watch time (dashed: y = x)")
axes[0].legend(loc="upper left", fontsize=8)
axes[1].scatter(truth["p_click"], plain_p, s=14, color="#1f77b4")
axes[1].plot([0, MAX_CLICK], [0, MAX_CLICK], color="#999999", ls="--", lw=1)
axes[1].set(xlabel="true click rate", ylabel="plain LR: sigmoid(logit)", title="plain LR tracks clicks")
fig.tight_layout()
plots.save_fig(fig, "04_weighted_lr_calibration")
plt.show()

# the fit reproduces the closed form exactly: watch time of the clicks over the number of non-clicks
per_context = log.groupby("context").agg(minutes=("watch_minutes", "sum"), clicks=("clicked", "sum"),
                                         shown=("clicked", "size"))
assert np.allclose(weighted_odds, per_context["minutes"] / (per_context["shown"] - per_context["clicks"]), rtol=1e-3)
ratios = weighted_odds / truth["expected_watch"].to_numpy()
predicted = 1 / (1 - truth["p_click"].to_numpy())
print(f"odds / E[T]: mean {ratios.mean():.3f} (range {ratios.min():.3f}-{ratios.max():.3f}); "
      f"the derivation predicts 1/(1-P): mean {predicted.mean():.3f} (range {predicted.min():.3f}-{predicted.max():.3f})")
assert np.allclose(ratios, predicted, rtol=0.1)          # what is left is the log's sampling noise

# %% [markdown]
# **Beyond one logit per context.** With a free logit per context the closed form holds by
# algebra. A real ranker scores pairs it has never seen, from features they share. So now a
# context is a pair - a kind of user shown a kind of video (10 x 24) - whose click rate and
# watch time each depend on both kinds and on the pair, with a quarter of the pairs never shown
# (`engagement.feature_watch_log`). Plain and weighted LR get one weight per user kind and one
# per video kind and rank each user kind's hidden video kinds; NDCG@3 with the expected watch
# time as the gain says how much watch time lands on top (1 is the best order, which ordering
# by the `true expected watch` gives; the `true click rate` is shown too). `odds / E[T] - 1` is
# weighted LR's bias, the number its claim reads. Twenty simulated logs:

# %%
engagement_runs = engagement.compare_on_logs(range(20))
display(engagement_runs.drop(columns="seed").agg(["mean", "min", "max"]).round(3))

# %% [markdown]
# **The ranker on MovieLens.** A ranker learns from **impressions**, which MovieLens lacks: the
# 100 movies the tower retrieved for an example stand for what was shown, the movie rated next
# for what was watched. Its negatives come from the retrieved movies (`negatives from top`: the
# top 20 or all 100), since its job is to order plausible ones. Each user's 10 latest training
# examples train the ranker and are held out of a second tower, so that the tower's score is
# not more reliable here than on new data.
#
# The ranker is a small ReLU network; plain or weighted *LR* names its loss. Its inputs beyond
# the tower: the candidate's genres, year and popularity; how much of the user's history shares
# its genres; days since the user's previous rating; its cosine with the history's mean vector;
# and the tower's score. Its last layer starts at zero, so an untrained ranker keeps the
# candidate order - and early stopping may keep that epoch 0. *Engagement*: MovieLens has no
# watch time, so weighted LR weighs each positive by its rating (1-5), each negative by 1.
#
# Three orderings of the same 100 candidates per test user: the tower's score alone, a plain-LR
# and a weighted-LR ranker, by **HR@10** and an **engagement-weighted NDCG@10** (each user's
# NDCG@10 scaled by their held-out movie's rating). With one held-out movie per user that
# weighting cannot reward putting a loved movie above a disliked one, so the weighted-LR
# verdict is judged on the simulation above. No ranker finds a target retrieval missed: the
# tower's recall@100 is the ceiling.

# %%
cut, later = split_latest(data, towers.RANKER_EXAMPLES_PER_USER)
cut_tower, _ = towers.train_tower(best, cut, SETTINGS, SEED)
ranking_features = towers.ranking_features(ml, cut, cut_tower)
ranker_results = Results()
LIVE = dataclasses.replace(SETTINGS, ranker_lrs=(1e-3,))   # here one rate; the full-size run tunes it too
rankers = ranker.compare_rankers(cut_tower, cut, later, ranking_features, LIVE, SEED, ranker_results)
live_rankers = ranker_results.frame().set_index("model").drop(columns=["run", "seed"])
ceiling = live_rankers[f"recall@{SETTINGS.n_candidates} (ceiling)"].iloc[0]
live_rankers.round(4)

# %%
used = live_rankers["hr@10"] / ceiling
display(Markdown(
    f"Retrieval puts the held-out movie among the 100 candidates for {ceiling:.1%} of test users: that is the "
    f"ceiling (section 2's tower, trained on every training example, reaches "
    f"{table.loc[best, 'recall@100']:.1%}). In the top 10, the candidate score alone finds {live_rankers.loc['candidate score', 'hr@10']:.1%} "
    f"({used['candidate score']:.0%} of the ceiling), plain LR {live_rankers.loc['plain LR', 'hr@10']:.1%} "
    f"({used['plain LR']:.0%}) and weighted LR {live_rankers.loc['weighted LR', 'hr@10']:.1%} "
    f"({used['weighted LR']:.0%}), on this run's one seed; the verdicts below use the full-size run."
    + "".join(f" The {name} ranker kept epoch 0: it serves retrieval's order." for name in ("plain LR", "weighted LR")
              if live_rankers.loc[name, "best epoch"] == 0)))

# %% [markdown]
# ## 5. End to end: `recommend(user, k)`
#
# `TwoStageRecommender` puts the pieces together: the tower, HNSW's nearest 100 unrated movies,
# the ranker, and the top k as titles with each stage's time. `retrieval rank` is where the
# candidate stage had put the movie, so it shows what the ranker changed.

# %%
served_index = FaissIndex("hnsw", cut_tower.item_vectors().detach().cpu().numpy())
served_index.set_search(64)
recommender = TwoStageRecommender(cut_tower, served_index, rankers["weighted LR"], ranking_features, data,
                                  ml.ratings, titles, n_candidates=SETTINGS.n_candidates)
timings = []
for user in (0, 41):
    top, took = recommender.recommend(user, k=5)
    timings.append(took)
    print(f"user {user} - latest: {'; '.join(recommender.recent_titles(user, 4))}")
    display(top.drop(columns="ranker score"))
print("milliseconds per stage (median of the two requests):",
      pd.DataFrame(timings).median().round(3).to_dict())

# %% [markdown]
# **Chart 4: the two-stage pipeline**, drawn from the objects just used:

# %%
fig, ax = plt.subplots(figsize=(11, 5.5))
figures.two_stage_diagram(cut_tower, served_index, rankers["weighted LR"], SETTINGS.n_candidates, ax)
plots.save_fig(fig, "04_two_stage_pipeline")
plt.show()

# %% [markdown]
# ## 6. The verdicts
#
# Each claim is judged by the course's rule
# ([lesson 01, "How the course reaches a verdict"](01_mlp_vs_dot_product.ipynb#How-the-course-reaches-a-verdict)),
# on the full-size runs. A tower claim gets a verdict only where both sides had the same tuning
# budget; the serving claims read section 3's timings (the crossover at the 10 ms budget Wide &
# Deep's authors served in); the weighted-LR claim reads section 4's simulation.

# %%
if full is not None:
    provenance = f"lesson 04 sections 2 and 4; full-size run, {n_seeds} seeds (results/04_youtube_two_stage/)"
    claims = two_stage_claims.tower_claims(full["towers"], best, provenance, full["tuned_towers"], full["tower_grid"],
                                           full["mf_tuning"], full["mf_grid"])
    claims += two_stage_claims.ranker_claims(full["rankers"], provenance, SETTINGS.ranker_lrs, SETTINGS.ranker_pools)
    movielens = two_stage_claims.movielens_engagement(full["rankers"], data.test.rating)
    claims += serving_claims.serving_claims(full["retrieval_scaling"], full["request_latency"], scaling_evidence)
else:
    provenance = f"lesson 04 sections 2 and 4; this notebook's run on {ml.name}, 1 seed"
    claims = two_stage_claims.tower_claims(results, best, provenance)
    claims += two_stage_claims.ranker_claims(ranker_results, provenance, LIVE.ranker_lrs, LIVE.ranker_pools)
    movielens = two_stage_claims.movielens_engagement(ranker_results, data.test.rating)
claims += two_stage_claims.weighted_lr_claims(engagement_runs, engagement.MAX_BIAS, "lesson 04 section 4; 20 simulated logs",
                                              movielens)
data_name = None if (DATASET == "ml-100k" and not ml.is_synthetic) else ml.name
print("claims saved to", evidence.save_claims(claims, evidence.claims_file("04_youtube_two_stage", data_name)).name)

# %% [markdown]
# The verdicts in one line each; every record in full - what was measured, why the rule
# decided as it did, and what would settle an open claim - is in [`CLAIMS.md`](../CLAIMS.md),
# beside every other lesson's.

# %%
display(Markdown(evidence.conclusion(claims, brief=True)))

# %% [markdown]
# Where the best tower stands against each baseline, in Recall@50 over the whole catalogue:
# against popularity, the best loss variant at the shared settings (a floor the cell checks);
# against MF and EASE, each side at its own tuned best, as the claims read them.

# %%
vs_popularity = paired_effect(tower_runs, "recall@50", {"model": best}, {"model": "popularity"}, relative=False,
                              baseline=True)
print(f"{best} over popularity: {vs_popularity}")
assert vs_popularity.low > 0, "the candidate tower must beat popularity"
# against MF and EASE: each side at its own best where the full-size run tuned them (as the claims read it)
runs_vs, tower, mf_name = (two_stage_claims.against_baselines(full["towers"], best, full["tuned_towers"],
                                                              full["mf_tuning"]) if full is not None
                           else (tower_runs, best, "MF"))
for baseline, one_run in ((mf_name, False), ("EASE", True)):
    if baseline in set(runs_vs.frame()["model"]):
        gap = paired_effect(runs_vs, "recall@50", {"model": tower}, {"model": baseline}, relative=False,
                            baseline=one_run)
        where = (f"above {baseline}" if gap.low > 0 else f"below {baseline}" if gap.high < 0
                 else f"level with {baseline} (the interval holds 0)")
        print(f"{tower} over {baseline}: {gap}\n  -> the tower is {where}")

# %% [markdown]
# ## What to remember
#
# - Compare models that know the same things, and set a tuned non-neural baseline (EASE) beside the neural ones.
# - Two stages: a cheap model that sees every item, a rich one that sees a hundred. The first stage's recall is the second's ceiling.
# - Negatives drawn by popularity - in-batch negatives included - bias the model against popular items unless each logit is corrected by $\log q$.
# - Evaluate retrieval against the whole catalogue: metrics on 99 sampled negatives are much higher and stretch or shrink the gaps between models.
# - Judge an ANN index by its speed-up at the recall you need, on a catalogue like yours; whether one stage is enough depends on the latency budget of the whole request.
# - Weighted logistic regression's odds are the expected watch time of an impression, times $1/(1 - P)$.
# - A ranker learns from impressions the first stage produced, on data the first stage did not train on; it earns its place only with information the first stage lacks.
#
# ## Exercises
#
# Each exercise ends with a check cell: put your answer in place of `None` (or write the
# function's body in place of `...`) and run the cell. A failed check gives a hint, never the
# answer. The worked solutions are in `solutions/04_youtube_two_stage_solutions.ipynb`.

# %%
from recsys_course.lessons import exercises
check = exercises("04", ml)

# %% [markdown]
# **1. Rank against the whole catalogue.** Write `rank_in_catalogue(scores, target, seen)` for
# one user: `scores` holds one score per item, `target` is the held-out item's id, `seen` marks
# the items rated before (never the target). Return the target's 0-based rank among the unseen
# items, every other unseen item scoring at least as high counting as above it, without the
# package's ranking functions.

# %%
def rank_in_catalogue(scores, target, seen):
    ...  # your code: one whole number


check(1, rank_in_catalogue)

# %% [markdown]
# **2. The logQ correction.** Write `logq_correct(logits, q)`: `logits` holds items' logits
# (1-D, or 2-D with one column per item), `q[j]` the probability that item `j` is drawn as a
# negative. Return section 2's corrected logits, in the same shape.

# %%
def logq_correct(logits, q):
    ...  # your code


check(2, logq_correct)

# %% [markdown]
# **3. A tower that reads only the last movie.** Train the `last item only` variant at the
# default settings on seed 0 with `towers.train_tower` (under a minute) and hand it to
# `check(3, model, data=data)`, which scores it against the whole catalogue and compares its
# Recall@50 with the full-size run's seeds. Predict first: how much do the other nineteen movies
# of a history add, against the `full softmax` tower it ablates?

# %%
model = None   # your trained "last item only" tower
check(3, model, data=data)

# %% [markdown]
# **4. Where HNSW overtakes IVF.** In the committed scaling sweep, `full["retrieval_scaling"]`,
# take for each catalogue size each index's cheapest setting: the lowest latency at batch 1
# (`ms/query, batch 1`) among its settings that reach recall@10 >= 0.95. At which of the
# measured sizes is HNSW first faster than IVF? Answer `10000`, `100000`, `1000000` or
# `"never"`.

# %%
answer_4 = None   # 10000, 100000, 1000000 or "never"
check(4, answer_4)

# %% [markdown]
# **5. What weighted LR's odds converge to.** One context of a watch log: `clicked` is a 0/1
# array with one entry per impression, and `minutes` the watch time logged with each (it
# counts only where `clicked` is 1). Write `weighted_odds(clicked, minutes)`, returning the
# odds $e^{\text{logit}}$ that weighted logistic regression converges to on this context, as
# section 4 derives them: one number.

# %%
def weighted_odds(clicked, minutes):
    ...  # your code: one number


check(5, weighted_odds)
