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
# # Lesson 02 - Embeddings: from one-hot ids to a map of the catalogue
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/recsys-course/recsys-course/blob/main/notebooks/02_embeddings_and_tsne.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/recsys-course/recsys-course/HEAD?labpath=notebooks%2F02_embeddings_and_tsne.ipynb)
#
# **Follows** the companion article, *Recommendation Systems (3): Deep Learning Foundations*:
# its part on embeddings and its t-SNE chart of movie embeddings coloured by genre (chart 2).
#
# Every model in this course starts by turning ids - a user, a movie, an occupation -
# into short dense vectors: **embeddings**. This lesson shows why, builds the two
# embedding modules that the feature-based models of later lessons use (the pair models
# of lessons 01 and 03 keep the same kind of tables inside them), watches training pull items together,
# and then looks at what 1,682 MovieLens movies look like after training: first as a
# picture (t-SNE), then as a number, then as a function of the embedding size.
#
# **You will learn to**
# - explain why one-hot vectors carry no notion of similarity and cost too much memory;
# - use `IdEmbedding` and `MultiFieldEmbedding` from `recsys_course.models.embeddings`;
# - write an embedding lookup as a one-hot matrix product, and check it against indexing the table;
# - see how the gradient of a dot-product model moves co-clicked items together, and take one SGD step on a click by hand;
# - train item embeddings on MovieLens 100K and judge them by a t-SNE map *and* by a measured neighbour-genre agreement against two baselines;
# - choose an embedding dimension from a measured sweep instead of a rule of thumb.
#
# Runs in about a minute on a laptop CPU.

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
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from sklearn.manifold import TSNE

from recsys_course import config, evidence, plots
from recsys_course.data import load_movielens, synthetic_movielens
from recsys_course.models.embeddings import IdEmbedding, MultiFieldEmbedding
from recsys_course.evaluation.metrics import neighbour_agreement
from recsys_course.evaluation import sampled
from recsys_course.models import MF, Popularity
from recsys_course.tasks import prepare_leave_one_out
from recsys_course.tasks.splits import to_implicit
from recsys_course.training import fit
# this lesson's own code, in recsys_course/lessons/l02_embeddings_and_tsne/ (open any module to read it)
from recsys_course.lessons.l02_embeddings_and_tsne import claims as dimension_claims  # `claims` names the records below
from recsys_course.lessons.l02_embeddings_and_tsne import dimensions
from recsys_course.lessons import builds   # the build-it steps: your code, checked against the course's

plots.use_course_style()
DATASET = "ml-100k"                # or "ml-1m" (larger; slower)
FAST = config.fast_mode()
DEVICE = config.get_device()
SEED = 0
config.seed_everything(SEED)
print("device:", DEVICE, "| fast mode:", FAST)

# %% [markdown]
# ## 1. Why one-hot ids fail
#
# The simplest way to feed an id to a model is a **one-hot** vector: as long as the
# catalogue, all zeros except a single 1. Two problems.
#
# **Size.** A service with 10 million users needs 10 million numbers to say which user
# this is.

# %%
n_users_big = 10_000_000
bytes_per_float = 4                                        # float32
one_hot_mb = n_users_big * bytes_per_float / 1e6
batch_gb = 1024 * n_users_big * bytes_per_float / 1e9
table_gb = n_users_big * 64 * bytes_per_float / 1e9
print(f"one one-hot user vector:          {one_hot_mb:,.0f} MB")
print(f"a batch of 1,024 of them:         {batch_gb:,.0f} GB")
print(f"a 64-d embedding table, all users: {table_gb:,.2f} GB, and one lookup reads {64 * bytes_per_float} bytes")

# %% [markdown]
# **No similarity.** Any two different one-hot vectors differ in exactly two places, so
# their distance is always $\sqrt{2}$ and their dot product always 0. *Toy Story* is
# exactly as far from *GoldenEye* as from *Toy Story 2* would be: nothing about
# movies can be read off their ids. Here it is, computed on the first five movies of
# the catalogue:

# %%
ml = load_movielens(DATASET)
print(ml.summary())

# %%
# NBVAL_CHECK_OUTPUT
print(ml.n_users, ml.n_items, ml.n_ratings)

# %%
first = torch.arange(5)
one_hot = F.one_hot(first, num_classes=ml.n_items).float()      # [5, 1682]
distances = torch.cdist(one_hot, one_hot)
pd.DataFrame(distances.numpy().round(4), index=ml.movies.title[:5], columns=range(5))

# %%
off_diagonal = distances[~torch.eye(5, dtype=bool)]
assert torch.allclose(off_diagonal, torch.tensor(2.0).sqrt())
print("every pair of distinct one-hot vectors is sqrt(2) =", round(2 ** 0.5, 4), "apart")

# %% [markdown]
# An **embedding table** $E$ has one learned row of $d$ numbers per id. Multiplying a
# one-hot vector by $E$ just picks out a row, so a model can skip the one-hot vector
# and index the table directly - same numbers, a tiny fraction of the work.
#
# Write that product yourself: `my_lookup(ids, table)` turns a batch of ids into a one-hot
# matrix (`F.one_hot`) and multiplies it by the table - no indexing. The check compares it with
# indexing the table directly, on ids and tables this notebook does not show; a hint names the
# usual slips. (If you cannot finish it, `build.use` goes on with the course's version, and
# says so.)

# %%
build = builds("02")


def my_lookup(ids, table):
    """The rows of `table` [n_ids, d] for `ids` [batch]: a one-hot [batch, n_ids] matrix times the table."""
    raise NotImplementedError


my_lookup = build.use("lookup", my_lookup)

# %% [markdown]
# Now on this lesson's data. `IdEmbedding` is the package's table, initialised uniformly in
# $\pm\sqrt{6 / (n_\text{ids} + d)}$ (Xavier's range; note that it shrinks as the catalogue
# grows, so large tables start close to zero); its lookup against your one-hot product:

# %%
items = IdEmbedding(ml.n_items, dim=8)
looked_up = items(first)                                  # [5, 8] - a row lookup
via_one_hot = my_lookup(first, items.weight)              # [5, 1682] @ [1682, 8]
torch.testing.assert_close(looked_up, via_one_hot)
print("lookup == one-hot @ table for all", looked_up.numel(), "numbers")
display(build.source(IdEmbedding.forward))   # the package's lookup: check the ids, then index the table

# %% [markdown]
# ### Padding ids, and several fields at once
#
# Later lessons feed variable-length histories ("the last 20 movies this user
# watched") padded with a filler id. `IdEmbedding(..., padding_idx=0)` keeps that
# row at zero and gives it no gradient, so padding never turns into information:

# %%
history = IdEmbedding(ml.n_items + 1, dim=4, padding_idx=0)   # id 0 = "no movie", movies are 1..n
padded = torch.tensor([[5, 17, 0, 0], [3, 0, 0, 0]])          # two histories, padded to length 4
history(padded).sum().backward()
print("padding row:", history.weight[0].tolist(), "| its gradient:", history.weight.grad[0].tolist())
assert torch.count_nonzero(history.weight[0]) == 0 and torch.count_nonzero(history.weight.grad[0]) == 0

# %% [markdown]
# A user is more than an id: MovieLens also gives age, gender and occupation. Each
# categorical **field** gets its own table, and `MultiFieldEmbedding` looks them all up
# into one tensor of shape `[batch, fields, dim]` - the input of FM, DeepFM and the
# deep part of Wide & Deep in later lessons.

# %%
users = ml.users
age_bucket = np.digitize(users["age"], [18, 25, 35, 45, 50, 56])        # 7 brackets, as in ML-1M
gender = (users["gender"] == "F").astype(int).to_numpy()
occupation = pd.factorize(users["occupation"], sort=True)[0]
fields = {"user": ml.n_users, "age_bucket": 7, "gender": 2, "occupation": int(occupation.max()) + 1}
user_fields = MultiFieldEmbedding(fields, dim=16)
ids = torch.tensor(np.column_stack([users["user"], age_bucket, gender, occupation]))
print({name: size for name, size in fields.items()})

# %%
# NBVAL_CHECK_OUTPUT
print(tuple(user_fields(ids[:32]).shape), "= [batch, fields, dim]")

# %% [markdown]
# ## 2. Watching gradients pull co-clicked items together
#
# Why would training put similar movies near each other? Take a dot-product model and
# a positive pair (user $u$, item $i$). The gradient of the logit $p_u^\top q_i$ with
# respect to $q_i$ is $p_u$: each step moves the item **towards the users who clicked
# it** (and, for negatives, away). Two items clicked by the same users are pushed towards
# the same user vectors, so they end up pointing the same way.
#
# A tiny world: 8 users and 6 items. Users 0-3 click items A and B; users 4-7 click
# items C and D; items E and F are clicked by nobody. Everything else is a negative.
# We train the package's `MF` on this full matrix, one gradient step per "epoch", and
# record the cosine similarity of the item vectors after every step. To make the
# movement obvious, A and B start out pointing in opposite directions.

# %%
clicks = np.zeros((8, 6), dtype=np.float32)
clicks[:4, [0, 1]] = 1          # users 0-3 click A and B
clicks[4:, [2, 3]] = 1          # users 4-7 click C and D
toy_u, toy_i = (t.ravel() for t in np.meshgrid(np.arange(8), np.arange(6), indexing="ij"))
toy_y = clicks.ravel()
full_batch = [tuple(torch.tensor(a) for a in (toy_u, toy_i, toy_y))]

def item_cosines(model):
    q = F.normalize(model.item_emb.weight.detach(), dim=1)
    return {"cos(A, B)": float(q[0] @ q[1]), "cos(A, C)": float(q[0] @ q[2]), "cos(C, D)": float(q[2] @ q[3])}

torch.manual_seed(SEED)
toy = MF(8, 6, dim=4, init_std=0.3)
with torch.no_grad():
    toy.item_emb.weight[1] = -toy.item_emb.weight[0]     # B starts as the opposite of A
start = item_cosines(toy)
steps = fit(toy, lambda epoch: full_batch, epochs=200, optimizer=torch.optim.SGD(toy.parameters(), lr=1.0),
            evaluate=item_cosines, patience=None, lr_patience=None, progress=False)
trace = pd.concat([pd.DataFrame([start]), steps.frame()[list(start)]], ignore_index=True)
trace.iloc[[0, 10, 50, 200]].round(3).rename_axis("step")

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
for column, color in zip(trace.columns, ["#d62728", "#1f77b4", "#ff7f0e"]):
    ax.plot(trace.index, trace[column], label=column, color=color)
ax.axhline(0, color="grey", lw=0.8)
ax.set_xlabel("gradient step")
ax.set_ylabel("cosine similarity")
ax.set_title("Co-clicked items align; items with different audiences separate")
ax.legend()
print("saved", *plots.save_fig(fig, "02_coclick_cosine"))
plt.show()

# %%
final = trace.iloc[-1]                                             # A and B started opposite (step 0) ...
assert final["cos(A, B)"] > 0.8 and final["cos(C, D)"] > 0.8, final  # ... and ended aligned,
assert final["cos(A, C)"] < 0, final                               # while different audiences point apart

# %% [markdown]
# ### One step by hand
#
# What `fit` did 200 times, do once yourself. For one (user, item) pair with vectors $p$ and
# $q$, the logit is $p^\top q$, the predicted click probability $s = \sigma(p^\top q)$, and the
# logistic loss $-[y \log s + (1 - y) \log(1 - s)]$ for a label $y$ (1: a click, 0: none). Its
# gradients are $(s - y)\, q$ for $p$ and $(s - y)\, p$ for $q$. Write one SGD step: both
# vectors move against their gradient, times a rate `lr`, each from its value *before* the
# step.

# %%
def my_sgd_step(p, q, clicked, lr):
    """One SGD step on the logistic loss of the logit p . q for a label `clicked` (1.0 or 0.0): the new (p, q)."""
    raise NotImplementedError


my_sgd_step = build.use("sgd", my_sgd_step)

# %% [markdown]
# Measure what the step does: the cosine of the two vectors before and after, for a click and
# for no click, on a user and an item drawn at random.

# %%
torch.manual_seed(SEED)
p, q = torch.randn(8), torch.randn(8)
cosine = lambda a, b: float(F.cosine_similarity(a, b, dim=0))
moved = {}
for clicked in (1.0, 0.0):
    new_p, new_q = my_sgd_step(p, q, clicked, lr=0.5)
    moved[clicked] = cosine(new_p, new_q) - cosine(p, q)
    print(f"{'a click ' if clicked else 'no click'}: cos(p, q) {cosine(p, q):+.3f} -> {cosine(new_p, new_q):+.3f}")
assert moved[1.0] > 0 > moved[0.0], moved   # a click pulls the two vectors together, a non-click pushes them apart

# %% [markdown]
# ## 3. Item embeddings learned from MovieLens 100K
#
# Now the real thing. We treat every rating as an implicit "watched" signal and split each
# user's history by time - **leave-one-out**: the latest watch is held out for testing, the
# one before it for validation, the rest is training data (lesson 03 studies this protocol
# in depth). We train `MF` with a dot product: each epoch pairs every training watch with 4
# freshly sampled unwatched movies and minimises binary cross-entropy.
#
# To score a model on a user, the held-out movie is mixed with 99 movies the user never
# watched, and the model ranks the 100:
#
# - **HR@10** (hit ratio): the share of users whose held-out movie lands in the top 10;
# - **NDCG@10**: the same, but a hit at rank $r$ (from 1) counts $1/\log_2(r + 1)$ - a full
#   point at the top, 0.63 at rank 2, 0.29 at rank 10 - so it also rewards being near the top;
# - **sampled AUC**: the share of the 99 sampled negatives that the held-out movie outscores, averaged over users (0.5 is chance, 1 is perfect). It is an AUC over *sampled* candidates, not over the whole catalogue.
#
# Early stopping watches the validation users' sampled AUC. The learned item table is the map we want.

# %%
interactions = to_implicit(ml.ratings)
loo = prepare_leave_one_out(interactions, ml.n_users, ml.n_items, n_neg=99, seed=SEED)
print(loo.describe())
DIM = 32
EPOCHS = 8 if FAST else 20

mf, mf_history = dimensions.train_mf(loo, DIM, seed=SEED, epochs=EPOCHS)
test_users = loo.test["user"].to_numpy()
results = pd.DataFrame({
    "Popularity": sampled.means(Popularity.from_interactions(loo.train, ml.n_users, ml.n_items).to(DEVICE),
                                   test_users, loo.test_candidates),
    f"MF (d={DIM})": sampled.means(mf, test_users, loo.test_candidates),
}).T.rename(columns={"auc": "sampled AUC"})
print(f"best validation epoch: {mf_history.best_epoch} of {len(mf_history)}")
results.round(3)

# %%
assert results.loc[f"MF (d={DIM})", "hr@10"] > results.loc["Popularity", "hr@10"] + 0.1, results

# %% [markdown]
# ### The t-SNE map
#
# t-SNE squeezes the 32-dimensional item vectors onto a page while trying to keep each
# movie's nearest neighbours (here by cosine similarity, which ignores a vector's length -
# in a dot-product model the length mostly tracks popularity) near it. (Distances *between* far-apart clusters on a t-SNE
# map mean little; the neighbourhoods are what it preserves.) We colour each movie by
# one genre: of the eight genres shown, the rarest one it has - so a *Horror/Thriller*
# movie counts as Horror, the more specific label. Movies with none of the eight are
# grey. Point size grows with the number of ratings, so the long tail of rarely rated
# movies shows as small faint dots. A few popular genre hybrids are labelled.

# %%
SHOWN = plots.GENRES_SHOWN      # plots.colour_genre gives each movie the rarest of these it has

def tsne_map(model, seed=SEED):
    """2-D t-SNE of the item vectors, with cosine distance - the similarity the next section measures."""
    vectors = model.item_emb.weight.detach().cpu().numpy()
    return TSNE(n_components=2, perplexity=30, init="pca", metric="cosine", random_state=seed).fit_transform(vectors)

def hybrids(data, counts, n=5, shown=SHOWN):
    """The n most-rated movies that carry at least two of the shown genres."""
    k = (data.item_genres[:, [data.genres.index(g) for g in shown]] > 0).sum(axis=1)
    candidates = np.flatnonzero(k >= 2)
    return candidates[np.argsort(-counts[candidates], kind="stable")][:n]

counts = np.bincount(loo.train["item"], minlength=ml.n_items)
xy = tsne_map(mf)
groups = plots.colour_genre(ml)
labelled = hybrids(ml, counts)
print(ml.movies.loc[labelled, ["title", "genres"]].to_string(index=False))

# %% [markdown]
# Beside it, the same pipeline on the **synthetic twin** (`recsys_course.data.synthetic_movielens`),
# whose ratings were generated from planted genre tastes: that panel shows what a
# clean recovery of genre structure looks like, so the real map can be read against it.

# %%
twin = synthetic_movielens(like=DATASET, seed=SEED)
twin_loo = prepare_leave_one_out(to_implicit(twin.ratings), twin.n_users, twin.n_items, seed=SEED)
twin_mf, _ = dimensions.train_mf(twin_loo, DIM, seed=SEED, epochs=EPOCHS)
twin_counts = np.bincount(twin_loo.train["item"], minlength=twin.n_items)
twin_xy = tsne_map(twin_mf)
twin_groups = plots.colour_genre(twin)

def style(counts):
    share = np.sqrt(counts / counts.max())
    return 2 + 40 * share, 0.25 + 0.7 * share          # sizes, alphas

fig, axes = plt.subplots(1, 2, figsize=(15, 6.5), gridspec_kw={"wspace": 0.25})
sizes, alphas = style(counts)
plots.embedding_map(axes[0], xy, groups, order=SHOWN, sizes=sizes, alphas=alphas,
                    annotate={int(i): ml.movies.title[i] for i in labelled},
                    title=f"{ml.name}: {ml.n_items:,} movie embeddings (MF, d={DIM}), t-SNE")
sizes, alphas = style(twin_counts)
plots.embedding_map(axes[1], twin_xy, twin_groups, order=SHOWN, sizes=sizes, alphas=alphas,
                    title="Synthetic twin: planted genres, same model and pipeline")
print("saved", *plots.save_fig(fig, "02_tsne_item_embeddings"))
plt.show()

# %% [markdown]
# Read the left panel with care: people's tastes do not follow genre lines, so regions
# dominated by one genre can only be loose; in the twin on the right, genre *is* the
# taste. Where does the long tail sit? The course's companion article (the overview of
# deep-learning recommenders whose claims these lessons test) draws rarely rated items at
# the rim of the map. There is a reason to expect the opposite: a movie with a handful of
# ratings has had few gradient updates, so its direction is still mostly its random start,
# similar to no other movie's in particular, and t-SNE has no neighbourhood to pull it
# into - such points tend to fill the middle. We measure instead of guessing: the distance
# of each movie from the centre of the map, for the quarter of movies with the fewest
# training ratings against the quarter with the most.

# %%
def rim_ratio(xy, counts):
    """Median distance from the map's centre of the least-rated quarter over that of the most-rated quarter."""
    radius = np.linalg.norm(xy - np.median(xy, axis=0), axis=1)
    low, high = np.quantile(counts, [0.25, 0.75])
    return np.median(radius[counts <= low]) / np.median(radius[counts >= high])

ratio = rim_ratio(xy, counts)
print(f"On {ml.name}'s map the least-rated quarter of movies lies at {ratio:.2f}x the median distance from the "
      f"centre of the most-rated quarter: the long tail sits " + ("towards the rim." if ratio > 1.1 else
      "towards the centre, not at the rim." if ratio < 0.9 else "neither at the rim nor in the centre."))

# %% [markdown]
# ## 4. A number, not only a picture
#
# A t-SNE map can look structured by accident, so we measure. Among the movies with at
# least 20 training ratings (the rest have barely moved from their random start), take each
# one's $k = 10$ nearest neighbours by cosine similarity in embedding space and count how
# many share at least one genre with it
# (`recsys_course.evaluation.metrics.neighbour_agreement`). Two baselines tell us what that number
# would be without learning:
#
# - **shuffled genres**: the same embeddings, genre labels randomly reassigned among movies (keeps the genre frequencies);
# - **untrained embeddings**: the same movies and genres, the model's random initial vectors.

# %%
K = 10
def agreement_table(model, data, counts, min_ratings=20, seed=SEED):
    mask = counts >= min_ratings
    genres = data.item_genres[mask]
    trained = model.item_emb.weight.detach().cpu().numpy()[mask]
    torch.manual_seed(seed)
    untrained = MF(data.n_users, data.n_items, dim=trained.shape[1]).item_emb.weight.detach().numpy()[mask]
    shuffled = genres[np.random.default_rng(seed).permutation(len(genres))]
    return pd.Series({
        "trained embeddings": neighbour_agreement(trained, genres, K),
        "shuffled genres": neighbour_agreement(trained, shuffled, K),
        "untrained embeddings": neighbour_agreement(untrained, genres, K),
    }, name=f"{data.name}: {mask.sum()} movies")

agreement = pd.concat([agreement_table(mf, ml, counts), agreement_table(twin_mf, twin, twin_counts)], axis=1)
agreement.round(3)

# %%
real = agreement.iloc[:, 0]
margin = real["trained embeddings"] - max(real["shuffled genres"], real["untrained embeddings"])
assert margin > 0.15, agreement
print(f"On {ml.name}, a movie's {K} nearest neighbours share a genre with it "
      f"{real['trained embeddings']:.0%} of the time, against {real['shuffled genres']:.0%} with shuffled "
      f"genres and {real['untrained embeddings']:.0%} for untrained vectors: "
      f"+{100 * margin:.0f} percentage points from learning.")

# %% [markdown]
# ## 5. How large should the embeddings be?
#
# A popular rule of thumb: *start at d = 32 and keep doubling until validation AUC moves by
# less than 0.5%.* Rather than trust it, we sweep d = 8 ... 128, record validation and test
# sampled AUC at the best epoch, and apply the rule to the measured curve. This notebook
# runs a quick sweep (the seeds in `SWEEP_SEEDS`; one learning rate, no weight decay, at
# most `EPOCHS` epochs). That is not quite fair to every size: a large table may need more
# regularisation than a small one, and a small one more epochs. So the full-size sweep
# (`python -m recsys_course run 02/dimensions`, five seeds) first gives each size its own
# learning rate and weight decay, chosen on validation from one grid on a seed of its own,
# and lets early stopping run up to 80 epochs; it is drawn beside the quick one when it exists for this dataset. Each bar is the
# 95% interval of one size's mean AUC, which includes how hard the test users happen to be;
# a *difference* between two sizes is judged paired, on the same users, and its interval is
# much narrower (below).

# %%
SWEEP_DIMS = [8, 32, 128] if FAST else list(dimensions.DIMS)
SWEEP_SEEDS = [0] if FAST else [0, 1]
sweep = dimensions.sweep(loo, SWEEP_DIMS, SWEEP_SEEDS, epochs=EPOCHS)
full = None if ml.is_synthetic else dimensions.load_results(DATASET)
by_dim = sweep.frame().groupby("factors")[["valid auc", "auc", "valid hr@10", "hr@10", "best epoch"]].mean()
by_dim.rename(columns={"auc": "test auc", "hr@10": "test hr@10"}).rename_axis("d").round(4)

# %%
grid = None if full is None else dimensions.tuning_grid(DATASET)
if grid is not None:   # the full-size sweep's tuning: validation AUC on its tuning seed, per size and setting
    display(grid.pivot_table(index=["factors", "lr"], columns="weight_decay", values="valid auc")
            .rename(columns=lambda w: f"{w:g}").rename_axis(index=["d", "learning rate"],
                                                          columns="validation AUC at weight decay").round(4))
    print("chosen:", "; ".join(f"d = {d}: rate {lr:g}, decay {w:g}" for d, (lr, w) in dimensions.chosen(grid).items()))
    print(evidence.edge_note(dimensions.edges(grid)))

# %%
def auc_by_size(ax, results, label, color, marker, dodge=1.0):
    """Test sampled AUC per size with its 95% interval over users and seeds (x shifted by `dodge`, to unclutter)."""
    sizes = sorted(results.frame()["factors"].unique())
    est = [evidence.mean_interval(results.per_user("auc", factors=d), metric="sampled AUC") for d in sizes]
    ax.errorbar(np.array(sizes) * dodge, [e.estimate for e in est], yerr=[[e.estimate - e.low for e in est], [e.high - e.estimate for e in est]],
                marker=marker, capsize=3, color=color, label=label)

fig, ax = plt.subplots(figsize=(6.5, 3.6))
if full is not None:
    auc_by_size(ax, full, f"full-size sweep, {full.frame()['seed'].nunique()} seeds", "#555555", "s", dodge=0.95)
auc_by_size(ax, sweep, f"this notebook, {len(SWEEP_SEEDS)} seed(s)", plots.MODEL_COLORS["MF"], "o", dodge=1.05)
ax.set_xscale("log", base=2)
ax.set_xticks(SWEEP_DIMS, [str(d) for d in SWEEP_DIMS])
ax.minorticks_off()
ax.set_xlabel("embedding dimension d")
ax.set_ylabel("test sampled AUC (95% interval)")
ax.set_title(f"MF on {ml.name}: embedding size")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
print("saved", *plots.save_fig(fig, "02_dimension_sweep"))
plt.show()

# %% [markdown]
# The rule, applied to the validation curve, and its verdict: does the size it picks lose
# less than its own 0.5% of test AUC against the best size on validation? The verdict uses
# the five-seed sweep when it exists (the *evidence* says which), by the course's rule
# ([lesson 01, "How the course reaches a verdict"](01_mlp_vs_dot_product.ipynb#How-the-course-reaches-a-verdict)):

# %%
source, provenance = (full, f"lesson 02 section 5; full-size sweep, {full.frame()['seed'].nunique()} seeds "
                      f"(results/02_embeddings_and_tsne/dimensions_{DATASET}.csv)") if full is not None else \
                     (sweep, f"lesson 02 section 5; this notebook's run on {ml.name}, {len(SWEEP_SEEDS)} seed(s)")
valid_auc = source.frame().groupby("factors")["valid auc"].mean()
chosen, steps = dimensions.doubling_rule(valid_auc)
peak = int(valid_auc.idxmax())
print(f"on the {'full-size' if source is full else 'quick'} sweep's mean validation AUC:")
print("rule of thumb:", "; ".join(steps) or "no larger size swept", f"=> stop at d = {chosen}")
print(f"validation AUC peaks at d = {peak} ({valid_auc[peak]:.4f}); "
      + (f"that is below 32, where the rule starts, so the rule cannot reach it" if peak < 32 else
         f"the rule {'reaches' if chosen == peak else 'stops short of'} it")
      + f"; the whole curve spans {valid_auc.max() - valid_auc.min():.4f} of AUC")
sizes = [int(d) for d in valid_auc.index]
print(evidence.edge_note(evidence.edge_report({"the best size on validation": (sizes, peak),
                                               "the rule's size": (sizes, chosen)})))
claims = dimension_claims.judge_claims(source, provenance)
data_name = None if (DATASET == "ml-100k" and not ml.is_synthetic) else ml.name
print("claims saved to", evidence.save_claims(claims, evidence.claims_file("02_embeddings_and_tsne", data_name)).name)
display(Markdown(evidence.conclusion(claims)))
notes = claims[0].notes
print("every other size against the best on test:",
      "; ".join(f"d = {d}: {v}" for d, v in notes["every other size against the best (relative test AUC)"].items()))
if notes["fixed sizes the rule could pick that pass the same test"]:
    print(f"a fixed d = {', '.join(map(str, notes['fixed sizes the rule could pick that pass the same test']))} "
          f"passes the same test as the rule: on this data the sizes from 32 up are too close for the verdict to "
          f"show what the rule is worth")

# %%
# the rule itself, on a made-up curve: it doubles while doubling gains >= 0.5%, and stays put before a smaller gain
made_up = pd.Series({16: 0.80, 32: 0.81, 64: 0.83, 128: 0.832, 256: 0.90})
assert dimensions.doubling_rule(made_up) == (64, ["32 -> 64: +2.47%", "64 -> 128: +0.24%"])
# every size of the sweep beats popularity's sampled AUC on test
popularity_auc = results.loc["Popularity", "sampled AUC"]
assert (by_dim["auc"] > popularity_auc).all(), (by_dim["auc"], popularity_auc)

# %% [markdown]
# ## What to remember
#
# - One-hot ids are huge and say nothing about similarity (every pair is $\sqrt{2}$ apart). An embedding table is a learned lookup that gives each id a dense vector; the lookup equals a one-hot product, for free.
# - `IdEmbedding` is one table (padding rows stay zero); `MultiFieldEmbedding` is one table per field, giving `[batch, fields, dim]`.
# - With a dot-product model, the gradient moves an item towards the users who clicked it, so co-clicked items align - similarity is *learned from behaviour*, not given.
# - Judge embeddings with a number and a baseline, not only with a t-SNE picture: neighbour-genre agreement against shuffled genres and untrained vectors, and where the long tail sits measured rather than eyeballed.
# - Measure the embedding size instead of trusting a rule of thumb, over several seeds: differences between sizes are often smaller than the seed-to-seed noise.
#
# ## Exercises
#
# Each exercise ends with a check cell: put your answer in place of `None` (or write the
# function's body in place of `...`) and run the cell. A failed check gives a hint, never the
# answer. The worked solutions are in `solutions/02_embeddings_and_tsne_solutions.ipynb`.

# %%
from recsys_course.lessons import exercises
check = exercises("02", ml)

# %% [markdown]
# **1. Neighbour agreement for one label.** Write `label_agreement(vectors, labels, k)`:
# `vectors` is an `[n, d]` array and `labels` holds one label per row (numbers or strings).
# For each row, find its `k` nearest *other* rows by cosine similarity, take the share of
# them whose label equals the row's own, and return the mean of that share over all rows.
# It is section 4's `neighbour_agreement` with one label per movie instead of a set of genres.

# %%
def label_agreement(vectors, labels, k):
    """Mean over rows of the share of the k cosine-nearest other rows that carry the same label."""
    ...

check(1, label_agreement)

# %% [markdown]
# **2. The exact chance level.** Section 4's *shuffled genres* baseline estimates, with
# random error, a number you can compute exactly. Among the movies with at least 20 training
# ratings (`counts >= 20`, as in section 4), what share of the ordered pairs of two
# **different** movies have at least one genre in common? Give a share between 0 and 1.

# %%
# genres = ml.item_genres[counts >= 20] ...
answer_2 = None  # a share between 0 and 1
check(2, answer_2)

# %% [markdown]
# **3. A stricter criterion.** Recompute two of section 4's numbers for section 3's model
# `mf` (k = 10, the movies with `counts >= 20`) with "has the same colour genre"
# (`plots.colour_genre(ml)`, one label per movie) in place of "shares at least one genre": the
# trained embeddings' agreement, and the agreement with the labels shuffled among the
# movies (`np.random.default_rng(SEED).permutation`). Your `label_agreement` does it. How do
# the two numbers move, compared with section 4's table? Answer with a letter:
#
# - **a** - both fall, and the trained embeddings still beat shuffled labels by more than 10 percentage points
# - **b** - the trained number falls but the shuffled one stays put, since shuffling ignores the criterion
# - **c** - both fall, and the trained embeddings no longer beat shuffled labels by more than 10 percentage points
# - **d** - the trained number rises, since one label per movie is cleaner than a set of genres

# %%
answer_3 = None  # "a", "b", "c" or "d"
check(3, answer_3)

# %% [markdown]
# **4. NDCG@10 at d = 64.** Train MF with d = 64 on seed 0 as the full-size sweep trains that
# size - at the learning rate and weight decay it chose on validation,
# `lr, decay = dimensions.chosen(dimensions.tuning_grid("ml-100k"))[64]`, with up to
# `dimensions.FULL_EPOCHS` epochs (`dimensions.train_mf` takes `lr=` and `weight_decay=`, and
# returns the model and its training history) - and hand the trained model to the check with
# the split, `check(4, model_64, loo=loo)`: it scores the model's test NDCG@10 itself and
# compares it with the five seeds of the full-size sweep. Then set your number beside the
# full-size sweep's other sizes (`full.frame()`, columns `factors` and `ndcg@10`, from
# section 5): does doubling from 32 to 64 buy anything?

# %%
model_64 = None   # your trained MF, d = 64
check(4, model_64, loo=loo)
