"""Verdicts and claim records: how the course decides whether a claim holds, and how it writes the result down.

:func:`verdict` compares a measured :class:`~.intervals.Effect` with the claimed effect under the
rule :data:`RULE` (docs/methods.md explains it); :class:`Claim` records carry the result into
tables, Markdown conclusions and the JSON files the course-wide ledger is built from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from .intervals import Effect

VERDICTS = ("supported", "contradicted", "inconclusive", "confounded", "not measured")

RULE = (
    "A claim names a direction and a threshold: the smallest effect that would make it true "
    "(for a claim of 'about 2%' we take half of it, 1%; for a claim with no size, 1% relative "
    "unless the lesson says why otherwise). The effect is measured with a 95% paired-bootstrap "
    "interval over test users and training seeds. "
    "SUPPORTED: the whole interval lies beyond the threshold, on the claimed side. "
    "CONTRADICTED: the whole interval lies short of the threshold (an effect in the opposite "
    "direction included). "
    "INCONCLUSIVE: the interval contains the threshold - the data cannot tell. "
    "CONFOUNDED: given by a lesson, not by this rule, when it has shown that something else "
    "changed together with the factor under test; it then names the experiment that would settle it."
)
# A fifth verdict stands outside the rule: "not measured" (:func:`not_measured`), for a claim the committed
# runs could not test at all (it needs hardware they did not have); its record names the command that tests it.


def verdict(effect: Effect, threshold: float, direction: str = "above") -> tuple[str, str]:
    """Apply :data:`RULE`: ``(verdict, reason)`` for a claimed effect ``above`` or ``below`` ``threshold``.

    ``threshold`` is in the effect's unit (a fraction for a relative effect:
    0.01 is 1%). The reason is a sentence stating what the interval showed.
    """
    if direction not in ("above", "below"):
        raise ValueError(f"direction must be 'above' or 'below', got {direction!r}")
    limit = effect.format(threshold)
    interval = f"[{effect.format(effect.low)}, {effect.format(effect.high)}]"
    beyond = effect.low > threshold if direction == "above" else effect.high < threshold
    short = effect.high < threshold if direction == "above" else effect.low > threshold
    if beyond:
        return "supported", f"the whole interval {interval} lies {direction} {limit}"
    if short:
        side = "below" if direction == "above" else "above"
        return "contradicted", f"the whole interval {interval} lies {side} {limit}"
    return "inconclusive", f"the interval {interval} contains {limit}"


# ---------------------------------------------------------------------------------
# Claim records
# ---------------------------------------------------------------------------------


@dataclass
class Claim:
    """One claim of the article, what a primary source says, and what the course measured.

    Build it with :func:`judge` (verdict by the rule) or :func:`confounded`.
    ``evidence`` says where the measurement is: the lesson's section and the
    data behind it (this run, or a committed full-size CSV with its seeds).
    """

    lesson: str
    claim: str
    source: str
    measured: str
    evidence: str
    verdict: str
    reason: str
    effect: Effect | None = None
    threshold: float | None = None
    direction: str = "above"
    settle: str = ""
    notes: dict = field(default_factory=dict)

    def effect_text(self) -> str:
        if self.effect is None:
            return ""
        e = self.effect
        return f"{e.format()} [{e.format(e.low)}, {e.format(e.high)}]"

    def threshold_text(self) -> str:
        if self.threshold is None or self.effect is None:
            return ""
        return f"{'>' if self.direction == 'above' else '<'} {self.effect.format(self.threshold)}"


def judge(
    *,
    lesson: str,
    claim: str,
    source: str,
    measured: str,
    evidence: str,
    effect: Effect,
    threshold: float,
    direction: str = "above",
    notes: dict | None = None,
) -> Claim:
    """A claim record whose verdict comes from :func:`verdict`."""
    word, reason = verdict(effect, threshold, direction)
    return Claim(
        lesson=lesson,
        claim=claim,
        source=source,
        measured=measured,
        evidence=evidence,
        verdict=word,
        reason=reason,
        effect=effect,
        threshold=threshold,
        direction=direction,
        notes=dict(notes or {}),
    )


def confounded(
    *,
    lesson: str,
    claim: str,
    source: str,
    measured: str,
    evidence: str,
    confound: str,
    settle: str,
    effect: Effect | None = None,
    threshold: float | None = None,
    direction: str = "above",
    notes: dict | None = None,
) -> Claim:
    """A claim record for a comparison the lesson has shown to be confounded.

    ``confound`` says what changed together with the factor under test;
    ``settle`` names the experiment that would separate them.
    """
    if not confound or not settle:
        raise ValueError(
            "a confounded verdict needs both the confound and the experiment that would settle it"
        )
    return Claim(
        lesson=lesson,
        claim=claim,
        source=source,
        measured=measured,
        evidence=evidence,
        verdict="confounded",
        reason=confound,
        effect=effect,
        threshold=threshold,
        direction=direction,
        settle=settle,
        notes=dict(notes or {}),
    )


def not_measured(
    *, lesson: str, claim: str, source: str, measured: str, evidence: str, needs: str, command: str
):
    """A claim record for a claim the committed runs could not test: ``needs`` says what was missing (a CUDA
    GPU, say) and ``command`` measures it where that is at hand."""
    if not needs or not command:
        raise ValueError(
            "a claim that was not measured needs what was missing and the command that measures it"
        )
    return Claim(
        lesson=lesson,
        claim=claim,
        source=source,
        measured=measured,
        evidence=evidence,
        verdict="not measured",
        reason=f"not measured here: {needs}",
        settle=f"run `{command}` where that is at hand",
    )


def other_metrics(primary: Effect, others: dict) -> dict:
    """Notes for a claim record: the same comparison on its secondary metrics, beside the primary one.

    ``others`` maps a metric's name to its :class:`Effect`. The notes hold each
    effect with its interval, and name the metrics whose interval lies wholly on
    the other side of zero from the primary estimate - where they disagree.
    """
    up = primary.estimate >= 0
    return {
        "other metrics": {
            name: f"{e.format()} [{e.format(e.low)}, {e.format(e.high)}]" for name, e in others.items()
        },
        "disagree": [name for name, e in others.items() if (e.high < 0 if up else e.low > 0)],
    }


def claims_table(claims: Sequence[Claim]) -> pd.DataFrame:
    """The claims as a table: claim, source, measurement, effect and interval, threshold, verdict, evidence."""
    return pd.DataFrame(
        [
            {
                "claim": c.claim,
                "primary source": c.source,
                "measured": c.measured,
                "effect [95% interval]": c.effect_text(),
                "claim holds if": c.threshold_text(),
                "verdict": c.verdict,
                "evidence": c.evidence,
            }
            for c in claims
        ]
    )


def conclusion(claims: Sequence[Claim], brief: bool = False) -> str:
    """A Markdown conclusion written from the records: one paragraph per claim, or with ``brief`` one line
    each - the claim, its verdict, the effect and the rule (the full records are in CLAIMS.md)."""
    if brief:
        lines = []
        for c in claims:
            line = f"- **{c.claim}** - **{c.verdict}**"
            if c.effect is not None:
                line += f": {c.effect_text()}"
                if c.threshold is not None:
                    line += f" (holds if {c.threshold_text()})"
            lines.append(line)
        return "\n".join(lines)
    paragraphs = []
    for c in claims:
        text = f"**{c.claim}** - **{c.verdict}**. {c.measured[0].upper()}{c.measured[1:]}"
        if c.effect is not None:
            text += f": {c.effect_text()}"
            if c.threshold is not None:
                text += f"; the claim holds if the effect is {c.threshold_text()}"
        text += f". {c.reason[0].upper()}{c.reason[1:]}."
        others = c.notes.get("other metrics") if c.notes else None
        if others:
            text += " The same comparison on " + "; ".join(
                f"{name}: {value}" for name, value in others.items()
            )
            disagree = c.notes.get("disagree") or []
            text += (
                f" - {' and '.join(disagree)} point{'s' if len(disagree) == 1 else ''} the other way."
                if disagree
                else "."
            )
        if c.settle:
            text += f" What would settle it: {c.settle}."
        text += f" *Source: {c.source}. Evidence: {c.evidence}.*"
        paragraphs.append(text)
    return "\n\n".join(paragraphs)


def claims_file(lesson: str, data: str | None = None) -> Path:
    """Where a lesson's records go: ``claims/<lesson>.json``, or ``claims/<lesson>@<data>.json`` when the
    lesson ran on other data than its default (another dataset, or the synthetic twin offline), so a
    learner's experiment never overwrites the course's records."""
    from .. import config

    suffix = "" if data is None else "@" + "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in data)
    return config.claims_dir() / f"{lesson}{suffix}.json"


def save_claims(claims: Sequence[Claim], path: str | Path) -> Path:
    """Write the records as JSON (for the course-wide ledger); written whole or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps([asdict(c) for c in claims], indent=1, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def load_claims(path: str | Path) -> list[Claim]:
    """Read records written by :func:`save_claims`."""
    records = json.loads(Path(path).read_text())
    return [Claim(**{**r, "effect": Effect(**r["effect"]) if r.get("effect") else None}) for r in records]
