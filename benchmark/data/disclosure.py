"""What every output may show of a task's hidden labels: the one disclosure stage.

Every output of the harness goes through a :class:`Disclosure` decided here: ``benchmark
score`` and ``compare`` (terminal and ``--json``), ``benchmark ci grade`` reports and ledger
records, and ``benchmark leaderboard build`` (``leaderboard.json``, the CSV downloads, every
page and every figure). Per task, split and date it decides:

**Which cases are scored for display** (:meth:`Disclosure.restrict`). A label file may carry a
``usage`` column (``public``/``private`` per case). Before the task's
``[leaderboard] reveal_date`` only the public part is scored, on and after it only the private
part, so nothing shown before the reveal depends on a private label. Without a ``usage`` column
every case is scored (``"all"``).

**Which numbers may be shown.**

* A split is *hidden* unless its declaration says ``labels_public = true`` (a released
  validation set). For a hidden split whose predictions are public (committed as plain CSV
  under ``submissions/``), anything that pairs case scores with labels is withheld, because
  walking it in score order with the public predictions gives the labels back: ROC and PR
  curves at case resolution, calibration bins with their counts, and the case-level reader
  study tables. Aggregates stay (metrics with their intervals, ranks, the calibration
  summary: Brier score, calibration-in-the-large, slope, ECE), published with
  :data:`PUBLISHED_DECIMALS` decimals (:meth:`Disclosure.numbers`). The page says in place
  what was withheld and why.
* When the task declares ``confidential_predictions = true`` no one but the
  grader can read the predictions, so a curve cannot be paired with case scores and the
  case-level figures are shown again.
* The label file's sha256 and the bootstrap plan key (which embeds it) are never published
  for a hidden split: with them, a guessed label vector could be checked offline. For a split
  with public labels they stay (they identify the released file). A task file pins a hidden
  label file by a keyed commitment instead (``labels_commitment``, :func:`label_commitment`).
* A task with ``[leaderboard] mode = "ladder"`` publishes only the Ladder's rounded score
  (:mod:`benchmark.data.ladder`): no other metric, no interval, no curve, no comparison.

**"Now"** decides the reveal. It comes from ``--now YYYY-MM-DD`` where a command offers it,
else from ``$BENCHMARK_NOW``, else from the command's default: the current UTC date, except
for leaderboard builds against the committed synthetic demo labels, which use the newest
``date`` of the task's submissions so that the committed demo site never depends on the day
it was built (:func:`demo_now`).

Examples
--------
>>> parse_now("2026-03-01").isoformat()
'2026-03-01'
>>> parse_now("2026-03-01T23:30:00-02:00").isoformat()  # converted to UTC first
'2026-03-02'
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import math
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np

from ..core.errors import LabelError, UsageError
from ..core.formatting import DEGENERATE_NOTE
from .ladder import round_to_step, step_digits

__all__ = [
    "NOW_ENV",
    "Disclosure",
    "decide",
    "demo_now",
    "label_commitment",
    "parse_now",
    "resolve_now",
    "scrub",
]

NOW_ENV = "BENCHMARK_NOW"
# Decimals of every number the leaderboard publishes about a hidden split whose predictions
# are public (the pages show 4 already). A log loss or Brier score is linear in the labels:
# at full float precision, each entry's value, with its public predictions, is an exact
# equation "sum of y_i * a_i = c" worth about 50 bits, and a few entries pin every label of
# a small test set (a subset-sum problem of low density). At 4 decimals an equation is worth
# about log2(range / (n * 1e-4)) bits, ten or so for ScopeMRI's 117 cases.
PUBLISHED_DECIMALS = 4
WITHHELD_CASE_LEVEL = (
    "withheld: the labels of this split are hidden and the submitted predictions are public, "
    "so a {what} (which pairs case scores with labels) would give the hidden labels back"
)
CASE_LEVEL_WHAT = {
    "roc": "ROC curve at case resolution",
    "calibration": "reliability diagram with per-bin counts",
    "reader_study": "case-level reader-study table",
    "mrmc_binary": "model's sensitivity and specificity at a fixed threshold (MRMC with binary reads)",
}


# -- now ------------------------------------------------------------------------------------------
def parse_now(text: str, what: str = "--now") -> _dt.date:
    """The UTC date of ``YYYY-MM-DD`` or an ISO 8601 time (raises :class:`UsageError`)."""
    t = str(text).strip()
    try:
        if len(t) == 10:
            return _dt.date.fromisoformat(t)
        when = _dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{what} must be a date YYYY-MM-DD or an ISO 8601 time. Got {text!r} instead.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when.astimezone(_dt.timezone.utc).date()


def resolve_now(option: Optional[str] = None, default: Optional[Callable[[], Optional[_dt.date]]] = None) -> _dt.date:
    """``option`` (``--now``), else ``$BENCHMARK_NOW``, else ``default()``, else today (UTC)."""
    if option:
        return parse_now(option)
    env = os.environ.get(NOW_ENV, "").strip()
    if env:
        return parse_now(env, f"${NOW_ENV}")
    d = default() if default is not None else None
    return d if d is not None else _dt.datetime.now(_dt.timezone.utc).date()


def demo_now(dates: Iterable) -> _dt.date:
    """The "now" of a demo build: the newest of ``dates`` (1970-01-01 when there is none)."""
    known = [d for d in dates if isinstance(d, _dt.date)]
    return max(known) if known else _dt.date(1970, 1, 1)


# -- the decision ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Disclosure:
    """What the outputs of one task and split may show (see the module docstring).

    ``withhold=False`` is a maintainer's private view: case-level numbers of a hidden split
    are kept. No command offers it; it exists so tests can show what withholding prevents.
    """

    task_id: str
    split: str
    part: str  # "all", "public" or "private"
    hidden: bool
    predictions_confidential: bool
    mode: str = "standard"
    reveal_date: Optional[_dt.date] = None
    withhold: bool = True
    ladder_step: Optional[float] = None

    @property
    def case_level(self) -> bool:
        """Whether numbers that pair case scores with labels may be shown."""
        return not self.hidden or self.predictions_confidential or not self.withhold

    @property
    def ladder(self) -> bool:
        """Whether only the Ladder score may be shown."""
        return self.mode == "ladder" and self.hidden and self.withhold

    @property
    def show_label_hash(self) -> bool:
        return not self.hidden or not self.withhold

    def reason(self, what: str) -> str:
        return WITHHELD_CASE_LEVEL.format(what=CASE_LEVEL_WHAT.get(what, what))

    # -- cases -------------------------------------------------------------------------------
    def mask(self, labels) -> Optional[np.ndarray]:
        """Boolean mask of the shown cases in ``labels`` order (None: every case)."""
        if self.part == "all":
            return None
        if labels.usage is None:
            raise ValueError("a public/private part needs a label file with a usage column")
        return np.asarray(labels.usage) == self.part

    def restrict(self, labels):
        """The labels of the shown cases only.

        Its ``sha256`` (the resampling plan's key) is that of the shown part alone, so the
        bootstrap and everything built on it do not depend on the other part either.
        """
        mask = self.mask(labels)
        if mask is None:
            return labels
        sub = labels.subset(mask)
        h = hashlib.sha256()
        h.update(self.part.encode())
        for i, row in zip(sub.ids, np.asarray(sub.y)):
            h.update(f"{i}:{','.join(repr(float(v)) for v in np.ravel(row))}\n".encode())
        return replace(sub, sha256=h.hexdigest(), source=f"({self.part} part of the labels)",
                       notes=(), usage=None)

    def submission(self, sub, labels):
        """A validated submission (aligned to ``labels``) cut to the shown cases."""
        mask = self.mask(labels)
        if mask is None:
            return sub
        return replace(sub, scores=np.asarray(sub.scores)[mask], ids=np.asarray(sub.ids)[mask])

    def part_text(self, n_cases: int) -> str:
        if self.part == "all":
            return f"all {n_cases} cases"
        if self.part == "public":
            when = f" on {self.reveal_date.isoformat()}" if self.reveal_date else " once a reveal date is set"
            return f"the public part ({n_cases} cases); the private part is scored from the reveal date{when}"
        return f"the private part ({n_cases} cases; the reveal date {self.reveal_date} has passed)"

    # -- numbers -----------------------------------------------------------------------------
    def curves(self, curves: dict) -> dict:
        """ROC, calibration and operating points of one submission, as they may be published."""
        out = dict(curves or {})
        if self.ladder:
            return {"roc": [], "calibration": [], "operating_points": [], "withheld": {
                "all": "withheld: this task uses the Ladder, which shows only the rounded leaderboard score"}}
        if self.case_level:
            return out
        withheld = {}
        if out.get("roc"):
            out["roc"] = [{k: v for k, v in g.items() if k not in ("fpr", "tpr", "band", "precision", "recall")}
                          for g in out["roc"]]
            withheld["roc"] = self.reason("roc")
        if out.get("calibration"):
            out["calibration"] = [{k: v for k, v in c.items() if k != "bins"} for c in out["calibration"]]
            withheld["calibration"] = self.reason("calibration")
        if withheld:
            out["withheld"] = withheld
        return out

    def result(self, res, ladder_value: Optional[float] = None, ladder_digits: Optional[int] = None):
        """A :class:`~benchmark.scoring.results.ScoreResult` as it may be published.

        ``ladder_value``/``ladder_digits``: the Ladder's shown score of this submission (on a
        Ladder task); without them the first-submission Ladder value is used.
        """
        update: dict = {"disclosure": self.summary(res.n_cases)}
        if not self.show_label_hash:
            update["labels_sha256"] = None
            if res.bootstrap is not None:
                update["bootstrap"] = res.bootstrap.model_copy(update={"plan_key": None})
            update["warnings"] = [scrub(w) for w in res.warnings]
        comps = dict(res.comparisons or {})
        if not self.case_level and comps.get("readers"):
            comps.pop("readers")
            comps.pop("readers_population", None)
            update["disclosure"]["withheld"]["reader_study"] = self.reason("reader_study")
        if not self.case_level and comps.get("mrmc"):
            # the model's calls at a fixed threshold are public: its sensitivity (specificity)
            # counts the positives (negatives) among a known set of cases. The AUC rows carry
            # only aggregates (the AUC is a published metric already).
            kept = [m for m in comps["mrmc"] if m.get("model_threshold") is None]
            if len(kept) < len(comps["mrmc"]):
                update["disclosure"]["withheld"]["mrmc"] = self.reason("mrmc_binary")
            if kept:
                comps["mrmc"] = kept
            else:
                comps.pop("mrmc")
        update["comparisons"] = comps
        if self.ladder:

            pm = res.metrics[res.primary]
            if ladder_value is None and pm.value is not None:
                unit = self.ladder_unit(res.n_cases)
                ladder_value, ladder_digits = round_to_step(pm.value, unit), step_digits(unit)
            shown = "undefined" if ladder_value is None else f"{ladder_value:.{ladder_digits}f}"
            update["metrics"] = {res.primary: pm.model_copy(update={
                "value": ladder_value, "display_value": shown, "ci": None, "ci_method": None,
                "ci_note": "Ladder score: rounded, and moved only when a submission beats the team's best by a clear margin",
                "undefined_replicates": None})}
            update["comparisons"] = {}
            # A degenerate-interval warning names another metric's value (an AUC of 0 or 1).
            flags = tuple(f"{name}: {DEGENERATE_NOTE}" for name in res.metrics)
            update["warnings"] = [w for w in update.get("warnings", res.warnings)
                                  if not w.startswith(flags)]
            if res.bootstrap is not None:
                update["bootstrap"] = None
            update["disclosure"]["withheld"]["metrics"] = (
                "withheld: this task uses the Ladder, which shows only the rounded leaderboard score")
        return res.model_copy(update=update)

    def ladder_unit(self, n_cases: int) -> float:
        return self.ladder_step if self.ladder_step is not None else 1.0 / max(int(n_cases), 1)

    def numbers(self, obj):
        """``obj`` (JSON-ready) with every float rounded to :data:`PUBLISHED_DECIMALS` when
        case-level numbers are withheld; unchanged otherwise.

        >>> d = Disclosure("t", "test", "all", hidden=True, predictions_confidential=False)
        >>> d.numbers({"value": 0.123456789, "n": 117, "ci": [0.1, 2 / 3]})
        {'value': 0.1235, 'n': 117, 'ci': [0.1, 0.6667]}
        """
        if self.case_level:
            return obj
        return _rounded(obj, PUBLISHED_DECIMALS)

    def comparison(self, out: dict) -> dict:
        """The JSON of ``benchmark compare`` as it may be published."""
        out = dict(out)
        if not self.show_label_hash:
            out["labels_sha256"] = None
            if out.get("bootstrap"):
                out["bootstrap"] = {**out["bootstrap"], "plan_key": None}
        out["disclosure"] = self.summary(None)
        return out

    def summary(self, n_cases: Optional[int]) -> dict:
        """What the outputs say about the disclosure (JSON-ready; no date of "now")."""
        return {
            "split": self.split,
            "part": self.part,
            "part_text": None if n_cases is None else self.part_text(n_cases),
            "labels_hidden": self.hidden,
            "predictions_confidential": self.predictions_confidential,
            "reveal_date": None if self.reveal_date is None else self.reveal_date.isoformat(),
            "ladder": self.ladder,
            "case_level": self.case_level,
            "withheld": {},
        }


COMMITMENT_PREFIX = "hmac-sha256:"


def label_commitment(path, key_path=None) -> str:
    """The keyed commitment a task file pins for a hidden label file.

    ``hmac-sha256:`` + HMAC-SHA256 (RFC 2104) of the file's bytes under the secret key stored
    beside it in ``<label file>.key`` (hex, e.g. 32 random bytes). Unlike the file's sha256 it
    cannot be used to check a guessed label vector without the key, which travels with the
    hidden labels only. Anyone holding both computes it with standard tools::

        openssl rand -hex 32 > test_labels.csv.key
        openssl dgst -sha256 -mac HMAC -macopt hexkey:$(cat test_labels.csv.key) test_labels.csv

    Raises :class:`~benchmark.core.errors.LabelError` when the key file is missing or not hex.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "l.csv").write_bytes(b"what do ya want for nothing?")
    >>> _ = (d / "l.csv.key").write_text("4a656665")  # RFC 4231 test case 2: key "Jefe"
    >>> label_commitment(d / "l.csv")
    'hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
    """


    path = Path(path)
    key_path = Path(key_path) if key_path is not None else path.with_name(path.name + ".key")
    try:
        key = bytes.fromhex(key_path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        raise LabelError(
            f"the task pins a keyed commitment of {path.name}, but its key file {key_path} is "
            "missing; keep the key beside the hidden label file (see docs/disclosure.md)."
        ) from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise LabelError(f"{key_path} must hold the commitment key as hexadecimal text.") from None
    if not key:
        raise LabelError(f"{key_path} is empty; it must hold the commitment key as hexadecimal text.")
    return COMMITMENT_PREFIX + hmac.new(key, path.read_bytes(), hashlib.sha256).hexdigest()


def _rounded(obj, digits: int):
    t = type(obj)
    if t is float:
        return round(obj, digits) if math.isfinite(obj) else obj
    if t is dict:
        return {k: _rounded(v, digits) for k, v in obj.items()}
    if t is list or t is tuple:
        return [_rounded(v, digits) for v in obj]
    if isinstance(obj, float):  # a float subclass, e.g. numpy.float64
        return round(obj, digits) if math.isfinite(obj) else obj
    if isinstance(obj, dict):
        return {k: _rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v, digits) for v in obj]
    return obj


def scrub(text: str) -> str:
    """``text`` with every 64-hex-digit string (a sha256) replaced by ``<withheld>``.

    >>> scrub("label sha256 " + "ab" * 32 + " differs")
    'label sha256 <withheld> differs'
    """

    return re.sub(r"\b[0-9a-fA-F]{64}\b", "<withheld>", str(text))


def decide(task, labels, now: _dt.date, withhold: bool = True) -> Disclosure:
    """The disclosure of ``task`` for the split of ``labels`` on date ``now``.

    Parameters
    ----------
    task : Task
    labels : LabelSet
        The labels as loaded (all parts); only their split and ``usage`` column are read.
    now : datetime.date
        The date that decides the reveal (see :func:`resolve_now`).
    withhold : bool, default True
        False only for a maintainer's private view (see :class:`Disclosure`).
    """
    if isinstance(now, _dt.datetime):
        now = now.astimezone(_dt.timezone.utc).date()
    lb = task.leaderboard
    reveal = lb.reveal_date
    if labels.usage is None:
        part = "all"
    else:
        part = "private" if reveal is not None and now >= reveal else "public"
    # A researcher's native release file (train.csv, train-*.csv) is their own copy, drawn
    # from no hidden split: nothing in it is hidden from them, and its split may be one the
    # task does not declare (MRNet train).
    decl = task.splits.get(labels.split)
    own_file = getattr(labels, "native", None) is not None
    return Disclosure(
        task_id=task.id,
        split=labels.split,
        part=part,
        hidden=not own_file and not bool(getattr(decl, "labels_public", False)),
        predictions_confidential=predictions_confidential(task),
        mode=lb.mode,
        reveal_date=reveal,
        withhold=withhold,
        ladder_step=lb.ladder_step,
    )


def predictions_confidential(task) -> bool:
    """Whether the task's predictions are unreadable in the repository.

    Declared as ``confidential_predictions = true`` (with a ``[confidential]`` table naming the
    benchmark's public key) in the task or dataset file (default false).
    """
    return bool(task.confidential_predictions)
