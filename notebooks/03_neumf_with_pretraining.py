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
# # Lesson 03 - NeuMF with pretraining, measured against the paper and a tuned MF
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/recsys-course/recsys-course/blob/main/notebooks/03_neumf_with_pretraining.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/recsys-course/recsys-course/HEAD?labpath=notebooks%2F03_neumf_with_pretraining.ipynb)
#
# *Neural Collaborative Filtering* (He et al., WWW 2017) proposed three models - GMF,
# an MLP, and their fusion **NeuMF** - and reported that NeuMF, especially when its two
# halves are pretrained, beats matrix factorisation on MovieLens 1M and Pinterest. The
# paper shaped a generation of recommenders, and the claims that the course's companion
# article repeats about it (and that circulate widely) are often stronger than what the
# paper measured. This lesson rebuilds the models on MovieLens 100K, evaluates them with
# the paper's protocol, and tests four such claims one by one.
#
# **You will learn to**
# - build GMF, the NCF MLP and NeuMF (with separate embeddings per path) from the package's modules, and draw NeuMF's architecture from the model object itself;
# - evaluate with leave-one-out and 99 sampled negatives, and compute HR@10 and NDCG@10 by hand;
# - fuse pretrained GMF and MLP models with the paper's alpha = 0.5, and compare SGD with Adam for fine-tuning;
# - measure the pretraining gain over several seeds, the effect of the negative-sampling ratio, weight decay on biases, and NeuMF against a tuned dot-product MF.
#
# The notebook runs the quick version in about three minutes on a laptop CPU; the
# full-size version (the paper's factor sizes, more seeds) is a script:
# `python -m recsys_course.experiments.ncf`.

# %%
# Setup: on Colab, install the course package; locally and on Binder it is installed already.
import sys
if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "git+https://github.com/recsys-course/recsys-course"], check=True)

# %%
from dataclasses import replace

import numpy as np
import pandas as pd
import torch
import matplotlib.pyplot as plt

from recsys_course import config, plots
from recsys_course.data import load_movielens
from recsys_course.experiments import ncf
from recsys_course.metrics import hit_rate_at_k, ndcg_at_k, rank_of_positive
from recsys_course.models import GMF, MLP, NeuMF
from recsys_course.splits import prepare_leave_one_out, to_implicit

plots.use_course_style()
DATASET = "ml-100k"                 # "ml-1m" is the paper's dataset (needs a download, ~10x slower)
FAST = config.fast_mode()
SETTINGS = ncf.fast_settings() if FAST else ncf.Settings()
SEEDS = [0, 1] if FAST else [0, 1, 2]
config.seed_everything(0)
print("device:", config.get_device(), "| fast mode:", FAST)
print(SETTINGS)

# %% [markdown]
# ## 1. Data and the evaluation protocol
#
# Every rating counts as an interaction (the paper's implicit-feedback setting). For each
# user, the **latest** interaction is the test item and the one before it is the
# validation item; all earlier ones are training data. To score a model on a user, we
# mix the test item with **99 items the user never interacted with**, sampled once with a
# fixed seed, and let the model rank the 100 candidates:
#
# - **HR@10** (hit ratio): is the test item in the top 10? Averaged over users.
# - **NDCG@10**: like HR, but a hit at rank $r$ (0 = top) is worth $1/\log_2(r + 2)$, so rank 0 earns 1 and rank 9 about 0.29.
#
# The number of training epochs of each model was chosen on the validation item
# (`python -m recsys_course.experiments.ncf --tune`); learning rates and the batch size are
# common defaults, set once. The reported models are then trained on training + validation
# items - everything except the test item, as in the paper - for those fixed epochs, so the
# test items never steer training.

# %%
ml = load_movielens(DATASET)
loo = prepare_leave_one_out(to_implicit(ml.ratings), ml.n_users, ml.n_items, n_neg=99, seed=0)
print(ml.summary())
print(loo.describe())

# %%
# NBVAL_CHECK_OUTPUT
print(len(loo.train), len(loo.valid), len(loo.test), loo.test_candidates.shape)

# %% [markdown]
# HR and NDCG by hand, for three users whose test items land at ranks 0, 3 and 12 among
# their 100 candidates, checked against the package's functions:

# %%
ranks = np.array([0, 3, 12])
hr_by_hand = np.mean([1, 1, 0])                                  # ranks 0 and 3 are in the top 10
ndcg_by_hand = np.mean([1 / np.log2(0 + 2), 1 / np.log2(3 + 2), 0])
assert hit_rate_at_k(ranks, 10) == hr_by_hand
assert np.isclose(ndcg_at_k(ranks, 10), ndcg_by_hand)

# the rank comes from the scores: column 0 holds the test item's score
scores = np.array([[0.9, 0.1, 0.5, 0.2],       # test item scored highest: rank 0
                   [0.3, 0.8, 0.3, 0.1]])      # one negative higher, one tied: ties count against, rank 2
assert rank_of_positive(scores).tolist() == [0, 2]
print(f"HR@10 = {hr_by_hand:.3f}, NDCG@10 = {ndcg_by_hand:.3f}")

# %% [markdown]
# ## 2. The three models, built step by step
#
# All three give each user and each item learned vectors and produce one logit per
# (user, item) pair; $\hat y = \sigma(\text{logit})$ is the predicted probability of an interaction.
#
# **GMF** (generalised matrix factorisation): the element-wise product $p_u \odot q_i$, then a
# learned weight per dimension: $\text{logit} = h^\top (p_u \odot q_i) + b$. With $h = \mathbf 1$ it is
# a plain dot product.
#
# **MLP**: concatenate $[p_u; q_i]$ and pass it through a tower of ReLU layers, each half as
# wide as the one before (the paper's "tower" pattern), then a linear output.
#
# **NeuMF**: both paths side by side, each with **its own embeddings** - sharing them
# would force one vector to serve two different kinds of interaction - and one head over
# the concatenation of GMF's product and the MLP's last layer.
#
# The "predictive factors" setting is the size of GMF's product and of the MLP's last
# layer. With 16 factors:

# %%
FACTORS = SETTINGS.factors
gmf = GMF(ml.n_users, ml.n_items, dim=FACTORS)
mlp = MLP(ml.n_users, ml.n_items, dim=2 * FACTORS, layers=(2 * FACTORS, FACTORS))   # input 4F -> 2F -> F
neumf = NeuMF(ml.n_users, ml.n_items, factors=FACTORS, mlp_layers=SETTINGS.mlp_layers())

def n_params(model):
    return sum(p.numel() for p in model.parameters())

users, items = torch.tensor([0, 1, 2]), torch.tensor([10, 20, 30])
pd.DataFrame({
    "parameters": {name: n_params(m) for name, m in [("GMF", gmf), ("MLP", mlp), ("NeuMF", neumf)]},
    "logits for 3 pairs": {name: tuple(m(users, items).shape) for name, m in [("GMF", gmf), ("MLP", mlp), ("NeuMF", neumf)]},
})

# %% [markdown]
# The architecture diagram below is drawn by `plots.neumf_diagram` from the `neumf`
# object: embedding sizes, tower widths and the head's input come from its layers, so the
# picture cannot drift away from the model that is trained.

# %%
fig, ax = plt.subplots(figsize=(8, 6))
plots.neumf_diagram(neumf, ax)
ax.set_title(f"NeuMF as built here ({FACTORS} predictive factors)")
print("saved", *plots.save_fig(fig, "03_neumf_architecture"))
plt.show()

# %% [markdown]
# ## 3. Training and the results table
#
# `ncf.compare_models` scores the popularity baseline and trains, for one seed: MF (a dot
# product with user and item biases), GMF, MLP, NeuMF from scratch, and NeuMF initialised from that seed's
# trained GMF and MLP and fine-tuned - once with plain SGD (what the paper did, since
# Adam's running statistics of the pretrained models are not carried over) and once with
# Adam. Each epoch pairs every training interaction with 4 freshly sampled negatives and
# minimises binary cross-entropy. We run it for every seed.

# %%
per_seed = {seed: ncf.compare_models(loo, SETTINGS, seed=seed) for seed in SEEDS}
runs = pd.concat(per_seed, names=["seed"]).reset_index()
table = runs.groupby("model", sort=False)[["hr@10", "ndcg@10"]].agg(["mean", "std"])
table.round(4)

# %%
hr = table[("hr@10", "mean")]
neumf_hr = hr["NeuMF (scratch)"]
margin = 0.05 if FAST else 0.15                            # FAST mode trains for half the epochs
assert neumf_hr > hr["Popularity"] + margin, table         # a wide margin over popularity ...
assert hr["MF"] > hr["Popularity"] + margin, table          # ... for the plain dot product too
train_seconds = SETTINGS.neumf_epochs * runs.loc[runs["model"] == "NeuMF (scratch)", "s/epoch"].mean()
per_seed_neumf = runs[runs["model"] == "NeuMF (scratch)"].set_index("seed")["hr@10"]
print(f"NeuMF from scratch: HR@10 {neumf_hr:.5f} over seeds {per_seed_neumf.round(4).tolist()} "
      f"(popularity {hr['Popularity']:.4f}); {train_seconds:.0f} s of training per run on this machine")
print(f"course budget 'HR@10 >= 0.66 in <= 1 min of training': HR@10 {'>=' if neumf_hr >= 0.66 else '<'} 0.66, "
      f"training {'<=' if train_seconds <= 60 else '>'} 60 s")

# %% [markdown]
# The last line checks the course's own budget for this lesson: NeuMF at HR@10 >= 0.66 with
# at most a minute of training. The training time is far inside it; the HR@10 mean sits right
# at the threshold, with the seeds scattered around it - a first hint that differences of a
# point or so between these models are within noise.

# %% [markdown]
# ### Pretraining: SGD or Adam for the fine-tuning?
#
# The fused model's logit starts exactly at $0.5\,\text{logit}_\text{GMF} + 0.5\,\text{logit}_\text{MLP}$,
# head biases included (the package's tests check this identity). Which optimiser makes the
# most of that start? (Both are reported; neither is picked using the test results.)

# %%
pre = table.loc[["NeuMF (pretrained, SGD)", "NeuMF (pretrained, Adam)"], ["hr@10", "ndcg@10"]]
higher = pre[("hr@10", "mean")].idxmax()
sgd_minus_adam = (runs[runs["model"] == "NeuMF (pretrained, SGD)"].set_index("seed")["hr@10"]
                  - runs[runs["model"] == "NeuMF (pretrained, Adam)"].set_index("seed")["hr@10"])
print(pre.round(4).to_string())
print(f"SGD minus Adam, HR@10 per seed: {sgd_minus_adam.round(4).tolist()}")
noise = abs(sgd_minus_adam.mean()) < sgd_minus_adam.std() if len(sgd_minus_adam) > 1 else True
print(f"higher mean: {higher}" + (" - but the difference is within seed-to-seed noise" if noise else ""))

# %% [markdown]
# ## 4. The claims, one experiment each
#
# Each verdict below is printed beside what the article claims and what the primary source
# says. All numbers are means over the seeds above, with their spread.
#
# ### Claim 1: "pretraining GMF + MLP gives about 2% AUC"
#
# The NCF paper reports no AUC at all. It reports HR@10 and NDCG@10, and states an average
# relative gain from pretraining of 2.2% on MovieLens (1.1% on Pinterest). Its ML-1M table,
# copied below, shows how that gain depends on the number of predictive factors. We measure
# the relative gain of pretrained NeuMF fine-tuned with SGD - the paper's recipe, fixed
# before looking at any result - over NeuMF from scratch, seed by seed, at 16 factors.

# %%
# He et al. (2017), Table 2: NeuMF HR@10 / NDCG@10 on ML-1M with and without pretraining
paper = pd.DataFrame({"with pretraining": [0.684, 0.707, 0.726, 0.730], "without": [0.688, 0.696, 0.701, 0.705]},
                     index=pd.Index([8, 16, 32, 64], name="factors"))
paper["relative gain (HR@10)"] = ncf.relative_gain(paper["with pretraining"], paper["without"]).round(3)
print(paper.to_string())

def per_seed_metric(model_name, metric):
    return runs[runs["model"] == model_name].set_index("seed")[metric]

PRETRAINED = "NeuMF (pretrained, SGD)"
claims = []
gains = pd.DataFrame({
    metric: ncf.relative_gain(per_seed_metric(PRETRAINED, metric), per_seed_metric("NeuMF (scratch)", metric))
    for metric in ["hr@10", "ndcg@10", "auc"]
})
print("relative gain of pretraining, per seed:")
print(gains.round(4).to_string())
mean_gain, std_gain = gains.mean(), gains.std()
verdict = ("supported" if mean_gain["hr@10"] - std_gain["hr@10"] > 0.01
           else "not reproduced here" if mean_gain["hr@10"] + std_gain["hr@10"] < 0.01 else "inconclusive")
claims.append({
    "claim": "pretraining gives ~2% AUC",
    "article": "~2% AUC",
    "paper": (f"no AUC; HR@10 gain {paper.loc[16, 'relative gain (HR@10)']:+.1%} at 16 factors, "
              f"{paper.loc[8, 'relative gain (HR@10)']:+.1%} at 8, {paper.loc[64, 'relative gain (HR@10)']:+.1%} at 64 (ML-1M)"),
    "measured": (f"HR@10 {mean_gain['hr@10']:+.1%} ± {std_gain['hr@10']:.1%}, "
                 f"NDCG@10 {mean_gain['ndcg@10']:+.1%}, AUC {mean_gain['auc']:+.1%} "
                 f"({FACTORS} factors, SGD fine-tuning, {len(SEEDS)} seeds)"),
    "verdict": verdict,
})
print(claims[-1]["measured"], "->", verdict)
# the spread is real only if the seeds really produce different models
assert per_seed_metric("NeuMF (scratch)", "hr@10").nunique() == len(SEEDS), runs

# %% [markdown]
# The full-size script (`python -m recsys_course.experiments.ncf`) repeats this at all four of
# the paper's factor sizes with three seeds. Its committed results, read from
# `figures/ncf/ncf_<dataset>.csv` when they exist for this dataset:

# %%
full = config.repo_root() / "figures" / "ncf" / f"ncf_{DATASET}.csv" if config.repo_root() else None
if full is not None and full.is_file() and not ml.is_synthetic:
    script = pd.read_csv(full)
    by_factor = (script[script["experiment"] == "models"]
                 .pivot_table(index=["factors", "seed"], columns="model", values="hr@10"))
    script_gain = ncf.relative_gain(by_factor[PRETRAINED], by_factor["NeuMF (scratch)"]).groupby("factors")
    print(pd.DataFrame({"NeuMF scratch HR@10": by_factor["NeuMF (scratch)"].groupby("factors").mean(),
                        "pretrained (SGD) HR@10": by_factor[PRETRAINED].groupby("factors").mean(),
                        "relative gain": script_gain.mean(), "± std": script_gain.std()}).round(3).to_string())
else:
    print("no full-size results for this dataset yet: run python -m recsys_course.experiments.ncf")

# %% [markdown]
# At 16 factors the script agrees with the quick run above. At 32 and 64 factors a gain
# appears and grows, as in the paper's table - but read the first column too: with the
# epoch counts tuned at 16 factors, NeuMF trained from scratch *loses* accuracy at larger
# sizes (it overfits), and the pretrained model, which starts from two models that were
# each trained to a good point, does not. Part of the "pretraining gain" is a
# from-scratch baseline that was not re-tuned for its size.

# %% [markdown]
# ### Claim 2: "4 negatives per positive is canonical; 1:1 underfits, 1:10 wastes compute"
#
# NCF's Figure 7 varies the number of sampled negatives per positive and finds the best
# results around 3 to 6; Rendle et al. (2020) used 8 for their best MF on ML-1M. More
# negatives also make every epoch longer. We train GMF with 1, 2, 4, 8 and 16 negatives
# (8 and 16 bracket the claim's 10) for the same number of epochs, and time each epoch.
# Keep one confound in mind: with a fixed number of epochs, more negatives also means
# more gradient steps.

# %%
ratios = [1, 2, 4, 8] if FAST else [1, 2, 4, 8, 16]
neg_sweep = ncf.negative_ratio_sweep(loo, SETTINGS, ratios=ratios, seed=0, model="GMF")
# epoch time relative to 4 negatives (one decimal: the absolute seconds depend on the machine)
neg_sweep["time vs 4 neg"] = (neg_sweep["s/epoch"] / neg_sweep.loc[4, "s/epoch"]).round(1)
neg_sweep.drop(columns="s/epoch").round(4)

# %%
fig, ax1 = plt.subplots(figsize=(6, 3.4))
ax1.plot(neg_sweep.index, neg_sweep["hr@10"], marker="o", color=plots.MODEL_COLORS["GMF"], label="HR@10")
ax1.plot(neg_sweep.index, neg_sweep["ndcg@10"], marker="s", color="#555555", label="NDCG@10")
ax1.set_xscale("log", base=2)
ax1.set_xticks(neg_sweep.index, [str(n) for n in neg_sweep.index])
ax1.minorticks_off()
ax1.set_xlabel("sampled negatives per positive")
ax1.set_ylabel("test metric")
ax2 = ax1.twinx()
ax2.bar(neg_sweep.index, neg_sweep["time vs 4 neg"], width=np.array(neg_sweep.index) * 0.25, alpha=0.2, color="black")
ax2.set_ylabel("time per epoch relative to 4 negatives (bars)")
ax2.grid(False)
ax1.set_zorder(ax2.get_zorder() + 1)      # lines in front of the bars
ax1.patch.set_visible(False)
ax1.legend(loc="upper left")
ax1.set_title("GMF on ML-100K: negatives per positive")
print("saved", *plots.save_fig(fig, "03_negative_ratio"))
plt.show()

# %%
best_ratio = int(neg_sweep["hr@10"].idxmax())
cost = neg_sweep["time vs 4 neg"]
underfits = neg_sweep.loc[1, "hr@10"] < neg_sweep.loc[4, "hr@10"] - 0.01
wasteful = neg_sweep["hr@10"].iloc[-1] <= neg_sweep.loc[4, "hr@10"] + 0.005
claims.append({
    "claim": "4 negatives canonical; 1 underfits; 10 wastes compute",
    "article": "4 is the sweet spot",
    "paper": "NCF Fig. 7: optimum ~3-6; Rendle et al.: 8 for MF on ML-1M",
    "measured": (f"best HR@10 at {best_ratio} negatives; 1 neg: {neg_sweep.loc[1, 'hr@10']:.3f}, "
                 f"4: {neg_sweep.loc[4, 'hr@10']:.3f}, {ratios[-1]}: {neg_sweep.loc[ratios[-1], 'hr@10']:.3f}; "
                 f"epoch time x{cost.iloc[-1]:.1f} at {ratios[-1]} vs 4"),
    "verdict": (f"1:1 underfits - {'supported' if underfits else 'not supported'}; "
                f"more than 4 wastes compute - {'supported' if wasteful else 'not supported: quality keeps rising, at a cost'}"),
})
print(claims[-1]["measured"], "->", claims[-1]["verdict"])
# more negatives per positive means proportionally more work per epoch
assert neg_sweep["s/epoch"].iloc[-1] > 2 * neg_sweep["s/epoch"].iloc[0], neg_sweep

# %% [markdown]
# ### Claim 3: "weight decay on biases hurts"
#
# We found no source for this; Rendle et al. regularise MF's biases like every other
# parameter. PyTorch makes the comparison easy with **parameter groups**: one optimiser,
# two groups of parameters, each with its own `weight_decay` (see `ncf.mf_optimizer`). We
# train MF with the same L2 weight decay on the embeddings and either with or without it
# on the biases.

# %%
decay = ncf.bias_decay_experiment(loo, SETTINGS, weight_decay=1e-5, seeds=SEEDS[:2])   # 3 seeds in the script
decay_summary = decay.groupby("decay on biases")[["hr@10", "ndcg@10"]].agg(["mean", "std"])
decay_summary.round(4)

# %%
on, off = (decay[decay["decay on biases"] == flag].set_index("seed")["hr@10"] for flag in (True, False))
diff = on - off
claims.append({
    "claim": "weight decay on biases hurts",
    "article": "exclude biases from weight decay",
    "paper": "no source; Rendle et al. regularise biases too",
    "measured": (f"HR@10 with minus without decay on biases: {diff.mean():+.4f} ± {diff.std():.4f} over "
                 f"{len(diff)} seeds (Adam, L2 weight decay 1e-5)"),
    "verdict": ("supported" if diff.mean() + diff.std() < 0 else "contradicted" if diff.mean() - diff.std() > 0
                else "no measurable effect at this decay"),
})
print(claims[-1]["measured"], "->", claims[-1]["verdict"])
# sanity check on the parameter groups themselves: biases really get no decay in the 'off' optimiser
mf = ncf.make_model("MF", loo, SETTINGS)
opt = ncf.mf_optimizer(mf, lr=1e-3, weight_decay=1e-5, decay_biases=False)
assert [g["weight_decay"] for g in opt.param_groups] == [1e-5, 0.0]
bias_ids = {id(mf.user_bias.weight), id(mf.item_bias.weight), id(mf.bias)}
assert {id(p) for p in opt.param_groups[1]["params"]} == bias_ids
assert not bias_ids & {id(p) for p in opt.param_groups[0]["params"]}

# %% [markdown]
# ### Claim 4: "NeuMF beats MF" - against a *tuned* MF
#
# Rendle et al. (RecSys 2020) reran the NCF benchmark with a carefully tuned dot-product MF
# and got HR@10 0.7294 / NDCG@10 0.4523 on ML-1M, against NeuMF's 0.7093 / 0.4349. We tune
# MF the way a practitioner would: choose its size and weight decay on the **validation**
# item (`ncf.tuned_mf_runs` searches a small grid here, a wider one in the script), then
# train it on the same data and compare on test with the same seeds (two here, to keep the
# notebook within its time budget; the script runs three). Note what this compares: a
# *tuned* MF against the 16-factor NeuMF of this notebook, whose size was not tuned -
# the script runs NeuMF at 8 to 64 factors for the other side of that comparison.

# %%
dims, decays = ((16, 32), (0.0, 1e-5)) if FAST else ((32, 64), (0.0, 1e-5))   # the script searches a wider grid
tuned_runs, grid = ncf.tuned_mf_runs(loo, SETTINGS, seeds=SEEDS[:2], dims=dims, decays=decays)
print(grid.to_string(index=False, formatters={"weight_decay": "{:g}".format, "valid hr@10": "{:.4f}".format}))
tuned_mf = tuned_runs.set_index("seed")
print("picked on validation:", tuned_mf["model"].iloc[0])

# %%
neumf_runs = runs[runs["model"] == "NeuMF (scratch)"].set_index("seed").loc[tuned_mf.index]
duel = pd.DataFrame({
    "tuned MF": tuned_mf[["hr@10", "ndcg@10"]].mean(),
    "NeuMF (scratch)": neumf_runs[["hr@10", "ndcg@10"]].mean(),
    PRETRAINED: runs[runs["model"] == PRETRAINED].set_index("seed").loc[tuned_mf.index, ["hr@10", "ndcg@10"]].mean(),
}).T
gap = tuned_mf["hr@10"] - neumf_runs["hr@10"]
claims.append({
    "claim": "NeuMF beats MF",
    "article": "NeuMF > MF",
    "paper": "Rendle et al.: tuned MF .7294/.4523 vs NeuMF .7093/.4349 HR/NDCG@10 (ML-1M)",
    "measured": (f"tuned MF ({tuned_mf['model'].iloc[0].split('(')[1]} minus {FACTORS}-factor NeuMF, "
                 f"HR@10: {gap.mean():+.4f} ± {gap.std():.4f} over {len(gap)} seeds"),
    "verdict": ("tuned MF ahead" if gap.mean() - gap.std() > 0 else "NeuMF ahead" if gap.mean() + gap.std() < 0
                else "a tie within seed noise"),
})
print(duel.round(4).to_string())
print(claims[-1]["measured"], "->", claims[-1]["verdict"])
# a dot product tuned on validation must at least match the untuned one on test
assert tuned_mf["hr@10"].mean() >= hr["MF"] - 0.01, (tuned_mf, hr)

# %% [markdown]
# ## 5. The verdicts together

# %%
verdicts = pd.DataFrame(claims).set_index("claim")
with pd.option_context("display.max_colwidth", 120):
    display(verdicts)

# %% [markdown]
# Reading the table (these are the committed run's numbers; yours may differ in the
# second decimal, about the size of the seed-to-seed spread): on 100K interactions the story
# "neural beats dot product, pretraining adds a couple of points" does not survive
# measurement. A dot-product MF tuned on the validation split draws level with the
# 16-factor NeuMF - the difference is inside the seed-to-seed spread - so the neural model
# does not beat a properly tuned dot product, in line with Rendle et al. on ML-1M; and the
# pretraining gain is smaller than the seed-to-seed spread as well. One negative per positive
# clearly underfits; with a fixed number of epochs, more negatives kept helping here, at
# a proportional cost in time per epoch - so "4 is canonical" is a budget choice, not an
# optimum. Weight decay on the biases made no measurable difference. To see the paper's
# setting, run `python -m recsys_course.experiments.ncf --dataset ml-1m` with ML-1M in
# the cache.
#
# ## What to remember
#
# - NeuMF = GMF path + MLP path with separate embeddings + one sigmoid head. Pretraining initialises it from trained GMF and MLP models with the heads weighted by alpha.
# - Leave-one-out with 99 sampled negatives ranks each user's held-out item among 100 candidates; HR@10 asks "in the top 10?", NDCG@10 also rewards being near the top. Fix the candidates once, and break score ties against the model.
# - Choose settings on a validation split and touch the test split once; compare models over several seeds and report the spread - many published gaps are smaller than the seed-to-seed noise.
# - A well-tuned dot product is a strong baseline. Make the neural model earn its place.
#
# ## Exercises
#
# 1. Set `SETTINGS = replace(ncf.Settings(), factors=8)` and rerun. The paper saw no pretraining gain at 8 factors - do you?
# 2. Fine-tune the pretrained NeuMF with `alpha = 0.2` or `0.8` (`NeuMF.from_pretrained(..., alpha=...)`). Which half of the model matters more here?
# 3. Run `negative_ratio_sweep` with `model="NeuMF"`. Does the best ratio move?
# 4. Add weight decay to NeuMF (pass an Adam optimizer with `weight_decay`) and compare with the tuned MF again.
# 5. Run the full script: `python -m recsys_course.experiments.ncf` (about 10-15 minutes on a laptop) and compare its CSV with this notebook's quick numbers.
