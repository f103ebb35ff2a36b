"""Lesson 02, embeddings and t-SNE: the embedding-size sweep (:mod:`.dimensions`), its claim
(:mod:`.claims`) and the exercises (:mod:`.exercises`)."""

from .. import Experiment

LESSON = "02_embeddings_and_tsne"
EXPERIMENTS = (
    Experiment(
        "dimensions",
        "dimensions:run",
        "MF at embedding sizes 8..128 on leave-one-out: the 'start at 32, double' rule",
    ),
)
