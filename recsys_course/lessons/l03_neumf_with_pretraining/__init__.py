"""Lesson 03, NeuMF with pretraining: NCF's models, training and experiments (:mod:`.ncf`), what is
chosen on validation (:mod:`.tuning`), the full-size run (:mod:`.full_size`), the claims (:mod:`.claims`), the
figures and the NeuMF diagram (:mod:`.figures`), and the exercises."""

from .. import Experiment

LESSON = "03_neumf_with_pretraining"
EXPERIMENTS = (
    Experiment(
        "ncf",
        "full_size:run",
        "GMF, MLP, NeuMF (scratch, shared, pretrained), tuned MF, negatives per positive "
        "and bias decay, at the paper's factor sizes",
        options={
            "--factors": dict(
                type=int,
                nargs="+",
                help="predictive factors (the paper's)",
            ),
            "--tune": dict(
                action="store_true", help="only choose the settings on the validation split, and print them"
            ),
            "--retune": dict(
                action="store_true", help="choose the settings again even if the dataset has tuned ones"
            ),
        },
    ),
)
