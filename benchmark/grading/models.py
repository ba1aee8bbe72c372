"""What a grading produces (a report per change and per submission) and the context it runs in."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..core.errors import EXIT_INVALID, EXIT_OK, Problem
from ..submissions.confidential import resolve_identity

__all__ = ["GradeReport", "GradingContext", "Remaining", "ShownScore", "SubmissionReport"]


@dataclass
class Remaining:
    """Submissions left for a team on a task (after this one, if it counts)."""

    team: str
    per_day: Optional[int]
    per_day_left: Optional[int]
    total: Optional[int]
    total_left: Optional[int]
    account: Optional[str] = None


@dataclass
class ShownScore:
    """What the report shows of a scored submission (all from the shown part of the labels)."""

    part: str  # "public", "private" or "all"
    split: str
    n_cases: int
    mode: str
    primary: str
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # metric, value, interval
    level: float = 0.95
    bootstrap: str = ""
    rank: Optional[str] = None
    leader: Optional[str] = None
    baselines: list[str] = field(default_factory=list)
    ladder: Optional[str] = None
    ledger_values: dict = field(default_factory=dict)
    synthetic: bool = False
    ladder_key: Optional[str] = None
    ladder_best: dict = field(default_factory=dict)  # blob, encrypted, format of the best so far


@dataclass
class SubmissionReport:
    """The grading of one submission folder."""

    task_id: str
    folder: str
    path: str  # submissions/<task>/<folder>
    team: str
    model: str = ""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    remaining: Optional[Remaining] = None
    score: Optional[ShownScore] = None
    blob: Optional[str] = None
    sha256: Optional[str] = None
    char_columns: dict = field(default_factory=dict)  # (line, column) -> 1-based character

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class GradeReport:
    """The grading of a whole change."""

    base: str
    head: str
    change_problems: list[Problem] = field(default_factory=list)
    submissions: list[SubmissionReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    host_notes: list[str] = field(default_factory=list)
    scored: bool = False

    @property
    def exit_code(self) -> int:
        bad = self.change_problems or any(not s.valid for s in self.submissions)
        return EXIT_INVALID if bad else EXIT_OK


@dataclass
class GradingContext:
    """What one grading run knows: the repository, the two commits, the time, labels, ledger."""

    repo: Path
    root: Path
    reg: object
    base_sha: str
    head_sha: str
    tmp: Path
    now: _dt.datetime
    labels_path: Optional[str]
    bootstrap: Optional[int]
    ledger_records: list[dict]
    allow_hash_mismatch: bool = False
    author: Optional[str] = None
    teams: Optional[dict] = None  # slug -> Team, from the base commit; None: not checked
    identity_path: Optional[str] = None
    identities: dict = field(default_factory=dict)

    @property
    def decrypt(self) -> bool:
        """Confidential predictions are opened only by the trusted, scoring grader."""
        return self.labels_path is not None

    def identity(self, task):
        if task.id not in self.identities:
            self.identities[task.id] = resolve_identity(task, self.identity_path)
        return self.identities[task.id]
