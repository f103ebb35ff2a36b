"""Lesson 04, the YouTube two-stage recommender: candidate towers and baselines (:mod:`.towers`), the loss
variants tuned alike (:mod:`.tuning`), the ranking stage (:mod:`.ranker`), what weighted LR learns on
simulated logs (:mod:`.engagement`), synthetic catalogues (:mod:`.catalogues`) and retrieval as the catalogue
grows (:mod:`.scaling`), the full-size runs (:mod:`.full_size`), the claims, the figures and the pipeline
diagram, and the exercises."""

from .. import Experiment

LESSON = "04_youtube_two_stage"
GROUPS = ("loss", "in-batch", "history")  # tuning.GROUPS' keys, named here so the command line needs no torch
GROUP_HELP = (
    "loss = full and popularity-sampled softmax with and without logQ; in-batch = in-batch negatives with and "
    "without logQ; history = user id, last item only and depth 0 (set against loss's full softmax)"
)
EXPERIMENTS = (
    Experiment(
        "towers",
        "full_size:run",
        "eleven candidate-tower variants, popularity, EASE and MF, on the whole catalogue",
    ),
    Experiment(
        "tower_tuning",
        "full_size:run_tower_tuning",
        "one group of the tower variants the claims compare (loss, in-batch, history): one grid of learning rate "
        "and temperature each, on validation",
        options={
            "--group": dict(choices=GROUPS, help="which variants: " + GROUP_HELP),
            "--extend": dict(
                action="store_true",
                help="keep the rows of the saved grid and train only the settings it lacks",
            ),
        },
    ),
    Experiment(
        "tuned_towers",
        "full_size:run_tuned_towers",
        "one group of 04/tower_tuning's variants, each at its own best setting, on four seeds",
        options={"--group": dict(choices=GROUPS, help="which variants: " + GROUP_HELP)},
    ),
    Experiment(
        "mf_tuning",
        "full_size:run_mf_tuning",
        "the MF baseline's learning rate and weight decay chosen on validation Recall@50, as many settings as "
        "each tuned tower variant",
        options={
            "--extend": dict(
                action="store_true",
                help="keep the rows of the saved grid and train only the settings it lacks",
            )
        },
    ),
    Experiment(
        "rankers",
        "full_size:run_rankers",
        "the candidate order, plain-LR and weighted-LR rankers on the chosen tower's top 100",
    ),
    Experiment(
        "serving",
        "full_size:run_serving",
        "exact search vs faiss over catalogues made from the learned item vectors, up to 10^6 items; "
        "whole-request latency of one and two stages",
        options={
            "--sizes": dict(type=int, nargs="+", help="catalogue sizes for the retrieval experiment"),
            "--redraw": dict(
                action="store_true",
                help="only recompute the crossover and redraw the figure from the saved measurements",
            ),
        },
    ),
)
