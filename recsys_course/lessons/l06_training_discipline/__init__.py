"""Lesson 06, training discipline: the CTR benchmark of chart 1 (:mod:`.ctr_benchmark`), training dynamics
(:mod:`.dynamics`), negative samplers, the article's defaults, dropout, clipping, the metric table, cold start,
speed and DDP - each experiment in its module - with the claims, the figures and the exercises."""

from .. import Experiment

LESSON = "06_training_discipline"
EXPERIMENTS = (
    Experiment(
        "ctr_tuning",
        "ctr_benchmark:run_tuning",
        "each Adam model of chart 1's benchmark: its rate and weight decay chosen together on one 4 x 4 grid "
        "on validation (tuning seed 5); at full size two runs, --models MF FM DeepFM DCN, then the DIN models",
        options={
            "--models": dict(
                nargs="+",
                help="which Adam models to tune (the other models' saved grid rows are kept)",
            )
        },
    ),
    Experiment(
        "ctr_benchmark",
        "ctr_benchmark:run",
        "chart 1: LR on ids, MF, FM, Wide & Deep, DeepFM, DCN, DIN, BaseModel and DIN with Dice on lesson 05's "
        "CTR task, at 06/ctr_tuning's settings, five seeds",
    ),
    Experiment(
        "dynamics",
        "dynamics:run",
        "chart 6: MF, NeuMF and Wide & Deep for 50 epochs, and what each patience would cost",
        options={"--epochs": dict(type=int, help="epochs per run")},
    ),
    Experiment(
        "samplers",
        "samplers:run",
        "negative samplers for MF (uniform, popularity, in-batch with and without logQ, hard), each tuned "
        "on 16 settings, on the whole catalogue and on sampled candidates",
    ),
    Experiment(
        "defaults",
        "defaults:run",
        "the article's Adam defaults against each model's tuned rate (after 06/ctr_benchmark)",
    ),
    Experiment("dropout", "dropout:run", "DeepFM with dropout 0 to 0.5 (after 06/ctr_benchmark)"),
    Experiment(
        "clipping", "clipping:run", "gradient clipping at 5.0, 1 and 0.1 on Wide & Deep's 50-epoch run"
    ),
    Experiment(
        "metric_choice",
        "metric_choice:run",
        "calibration and temperature scaling of DeepFM; MF "
        "regressors chosen by RMSE or by AUC (after 06/ctr_benchmark)",
    ),
    Experiment(
        "cold_start",
        "cold_start:run",
        "held-out movies started at their genres' mean, all movies' mean or random",
        options={"--share": dict(type=float, help="the share of movies held out of training")},
    ),
    Experiment(
        "speed",
        "speed:run",
        "training throughput by threads, batch, loader and device (time it alone)",
        options={
            "--steps": dict(type=int, help="timed steps per repeat"),
            "--repeats": dict(type=int, help="timed repeats per setting"),
        },
    ),
    Experiment(
        "distributed",
        "distributed:run",
        "DeepFM trained with DistributedDataParallel, one shard per process",
        options={
            "--synthetic": dict(action="store_true", help="a small synthetic task (for tests)"),
            "--epochs": dict(type=int, help="epochs"),
            "--batch-size": dict(type=int, help="the global batch, over all processes"),
            "--lr": dict(type=float, help="Adam's learning rate"),
        },
        launcher="torchrun --standalone --nproc_per_node=2 -m recsys_course run 06/distributed",
    ),
)
