"""Lesson 04, the YouTube two-stage recommender: candidate towers and baselines (:mod:`.towers`), the ranking
stage (:mod:`.ranker`), what weighted LR learns on simulated logs (:mod:`.engagement`), synthetic catalogues
(:mod:`.catalogues`) and retrieval as the catalogue grows (:mod:`.scaling`), the full-size runs
(:mod:`.full_size`), the claims, the figures and the pipeline diagram, and the exercises."""

from .. import Experiment

LESSON = "04_youtube_two_stage"
EXPERIMENTS = (
    Experiment(
        "towers",
        "full_size:run",
        "eleven candidate-tower variants, popularity, EASE and MF, on the whole catalogue",
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
