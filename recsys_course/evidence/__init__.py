"""Evidence: measured effects with intervals, the verdict rule, claim records, results and the ledger.

- :mod:`.intervals` - :func:`paired_bootstrap` and :func:`mean_interval`: effects over test users and seeds;
- :mod:`.claims` - the rule (:data:`RULE`), :func:`verdict`, :class:`Claim` records, tables and conclusions;
- :mod:`.grids` - :func:`edge_report`: which tuned settings sit at an end of the grid they were chosen on;
- :mod:`.results` - :class:`Results`: runs with their per-user numbers, saved under ``results/<lesson>/``;
- :mod:`.ledger` - ``CLAIMS.md``, the course-wide page written from every lesson's claim records;
- :mod:`.versions` - ``results/<lesson>/versions.json``: the versions each experiment's results came from.

A verdict is computed, never typed: a lesson measures, :mod:`.intervals` gives the interval,
:mod:`.claims` applies the rule, and the ledger gathers the records.
"""

from .claims import (
    RULE,
    VERDICTS,
    Claim,
    claims_file,
    claims_table,
    conclusion,
    confounded,
    judge,
    load_claims,
    not_measured,
    other_metrics,
    save_claims,
    verdict,
)
from .grids import at_edge, edge_note, edge_report
from .intervals import Effect, contrast_bootstrap, mean_interval, paired_bootstrap
from .results import Results, committed_file, paired_effect, seed_summary

__all__ = [
    "RULE",
    "VERDICTS",
    "Claim",
    "Effect",
    "Results",
    "at_edge",
    "claims_file",
    "claims_table",
    "committed_file",
    "conclusion",
    "contrast_bootstrap",
    "edge_note",
    "edge_report",
    "confounded",
    "judge",
    "load_claims",
    "mean_interval",
    "not_measured",
    "other_metrics",
    "paired_bootstrap",
    "paired_effect",
    "save_claims",
    "seed_summary",
    "verdict",
]
