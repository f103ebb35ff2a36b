"""Lesson 04, the YouTube two-stage recommender: candidate towers and baselines (:mod:`.towers`), the ranking
stage (:mod:`.ranker`), retrieval as the catalogue grows (:mod:`.scaling`), the full-size run (:mod:`.full_size`),
the claims, the figures and the pipeline diagram, and the exercises."""

from .. import Experiment

LESSON = "04_youtube_two_stage"
EXPERIMENTS = (
    Experiment(
        "two_stage",
        "full_size:run",
        "eleven candidate-tower variants, popularity, EASE and MF; plain and "
        "weighted-LR rankers; exact search vs faiss up to 10^6 items, and the ranker's latency",
        options={
            "--sizes": dict(
                type=int,
                nargs="+",
                help="catalogue sizes for the retrieval experiment",
            ),
            "--redraw": dict(
                action="store_true",
                help="only recompute the crossover and redraw the figure from the saved measurements",
            ),
            "--reuse-timings": dict(
                action="store_true",
                help="train and score every model again, but keep the saved retrieval and latency timings",
            ),
        },
    ),
)
