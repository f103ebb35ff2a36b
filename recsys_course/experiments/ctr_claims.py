"""Lesson 06's claims about the CTR benchmark (chart 1), judged from :mod:`.ctr`'s results.

The article's caption ("deep models showing 4-13% improvement over MF"), its
"every additional source of nonlinearity buys a few AUC points", and the DIN
paper's own steps (attention, Dice), each a paired effect on the same test users.
"""

from __future__ import annotations

from ..stats import Claim, judge
from .results import Results, paired_effect

LESSON = "06"
DIN_TABLE = {"LR": 0.7263, "BaseModel": 0.7300, "Wide & Deep": 0.7304, "PNN": 0.7321, "DeepFM": 0.7324,
             "DIN": 0.7337, "DIN + Dice": 0.7348}
DIN_SOURCE = ("Zhou et al. (KDD 2018), Table 3, MovieLens-20M (ratings 4-5 positive), user-weighted AUC: LR 0.7263, "
              "BaseModel 0.7300, Wide&Deep 0.7304, PNN 0.7321, DeepFM 0.7324, DIN 0.7337, DIN+Dice 0.7348")
BARS_SOURCE = "BARS (Zhu et al., SIGIR 2022), Criteo: LR 0.7886, FM 0.8022, Wide&Deep 0.8139, DeepFM 0.8138"
DEEP_MODELS = ("Wide & Deep", "DeepFM", "DIN")
STEPS = (("FM", "MF"), ("Wide & Deep", "FM"), ("DeepFM", "Wide & Deep"), ("DIN", "DeepFM"))
CAPTION_LOW = 0.04   # "4-13%": the least gain that makes the caption true
A_FEW_POINTS = 0.01  # "a few AUC points": we take one point (0.01 AUC) as the least that could be called a few


def benchmark_claims(results: Results, evidence: str) -> list[Claim]:
    """The caption per deep model, each nonlinearity step, and the DIN paper's attention and Dice steps."""
    def claim(text, source, measured, effect, threshold):
        return judge(lesson=LESSON, claim=text, source=source, measured=measured, evidence=evidence,
                     effect=effect, threshold=threshold)

    claims = [claim(f"{model} improves AUC over MF by 4-13%", f"the article's caption of its chart 1; {BARS_SOURCE}",
                    f"relative test AUC of {model} over MF", paired_effect(results, "auc", {"model": model},
                                                                           {"model": "MF"}), CAPTION_LOW)
              for model in DEEP_MODELS]
    claims += [claim(f"Adding a source of nonlinearity buys a few AUC points: {a} over {b}",
                     f"the article; {BARS_SOURCE}; {DIN_SOURCE}",
                     f"test AUC of {a} minus {b}",
                     paired_effect(results, "auc", {"model": a}, {"model": b}, relative=False), A_FEW_POINTS)
               for a, b in STEPS]
    for a, b in (("DIN", "BaseModel"), ("DIN + Dice", "DIN")):
        gain = DIN_TABLE[a] - DIN_TABLE[b]
        claims.append(claim(f"{a} beats {b} in user-weighted AUC", DIN_SOURCE,
                            f"user-weighted test AUC of {a} minus {b} (the paper: {gain:+.4f}; we ask for half)",
                            paired_effect(results, "uauc", {"model": a}, {"model": b}, relative=False), gain / 2))
    return claims
