"""Submission folders: ``submissions/<task-id>/<team>__<model>/{predictions.csv,submission.toml}``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..core.errors import SubmissionInvalid
from .metadata import SubmissionMeta, read_metadata

PREDICTIONS = "predictions.csv"
ENCRYPTED = "predictions.csv.age"  # benchmark.submissions.confidential.ENCRYPTED
METADATA = "submission.toml"


@dataclass(frozen=True)
class Entry:
    task_id: str
    folder: Path
    name: str  # "<team>__<model>" folder name
    meta: Optional[SubmissionMeta]
    meta_error: Optional[SubmissionInvalid]

    @property
    def predictions(self) -> Path:
        """The prediction file: ``predictions.csv``, else an encrypted ``predictions.csv.age``."""
        plain = self.folder / PREDICTIONS
        enc = self.folder / ENCRYPTED
        return enc if not plain.exists() and enc.exists() else plain

    @property
    def encrypted(self) -> bool:
        """Whether the predictions are held encrypted (confidential predictions)."""
        return self.predictions.name == ENCRYPTED

    @property
    def metadata_path(self) -> Path:
        return self.folder / METADATA

    @property
    def label(self) -> str:
        if self.meta is not None:
            return f"{self.meta.team} / {self.meta.model}"
        return self.name


def discover(root: Path, task_id: str) -> list[Entry]:
    """Every submission folder of a task, sorted by folder name (deterministic)."""
    base = Path(root) / "submissions" / task_id
    if not base.is_dir():
        return []
    out = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        meta, err = None, None
        try:
            meta = read_metadata(folder / METADATA)
        except SubmissionInvalid as exc:
            err = exc
        out.append(Entry(task_id, folder, folder.name, meta, err))
    return out
