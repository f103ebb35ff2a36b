"""Lesson 03, NeuMF with pretraining: NCF's models, training and experiments (:mod:`.ncf`), what is
chosen on validation (:mod:`.tuning`), the full-size run (:mod:`.full_size`), the claims (:mod:`.claims`), the
figures and the NeuMF diagram (:mod:`.figures`), and the exercises."""

from .. import Experiment

LESSON = "03_neumf_with_pretraining"
EXPERIMENTS = (
    Experiment(
        "ncf",
        "full_size:run",
        "popularity, EASE, GMF, MLP, NeuMF (scratch, shared, pretrained), negatives per positive, and a "
        "tuned MF with and without decay on its biases, at the tuned factor size",
        options={
            "--factors": dict(
                type=int,
                nargs="+",
                help="predictive factors to compare the models at (the tuned size)",
            ),
            "--tune": dict(
                action="store_true", help="only choose the settings on the validation split, and print them"
            ),
            "--retune": dict(
                action="store_true", help="choose the settings again even if the dataset has tuned ones"
            ),
        },
    ),
    Experiment(
        "ncf_sizes",
        "full_size:run_sizes",
        "NCF's models at the paper's other factor sizes (8, 16, 64), for the claims pooled over sizes",
        options={
            "--factors": dict(
                type=int,
                nargs="+",
                help="predictive factors (the paper's, other than the tuned size)",
            ),
        },
    ),
)
