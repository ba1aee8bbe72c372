"""Seeded generator of all SYNTHETIC demo data: public id lists, demo labels, demo submissions.

Nothing here is real data. Every data set the harness serves forbids redistribution, so the
repository carries synthetic stand-ins with the published sizes, id formats and prevalences
(sources below), generated with fixed seeds by this command::

    python -m benchmark.demo.generate              # (re)write the files under the current directory
    python -m benchmark.demo.generate --root DIR   # ... under DIR
    python -m benchmark.demo.generate --check      # exit 1 (listing them) if committed files differ

What is generated (paths relative to the repository root):

* MRNet (``tasks/_datasets/mrnet``): public id lists of the validation cases 1130-1249 and the
  test cases 1250-1369 (4-digit zero-padded strings; competition page
  stanfordmlgroup.github.io/competitions/mrnet), and demo labels ``case,abnormal,acl,meniscus``
  for both, each with exactly the public validation prevalence: abnormal 95, ACL 54,
  meniscus 52 of 120 (community EDA of the released ``valid-*.csv`` files). ACL and meniscal
  tears occur only in abnormal exams and are positively correlated (36 exams have both; this
  joint count is illustrative, only the margins are published).
* ScopeMRI (``tasks/_datasets/scopemri``): a full annotations table of 586 studies from 558
  patients (28 patients with two studies), 335 standard MRI and 251 MR arthrograms
  (npj AI 2025, doi:10.1038/s44387-025-00043-5). Bankart prevalence 31.9 % of MRAs and 8.6 %
  of MRIs (SPIE 2025, doi:10.1117/12.3046251), hence exactly 80 of 251 and 29 of 335. The
  prevalences of reverse Bankart, SLAP and rotator cuff tears have no public source: the values
  in :data:`SCOPEMRI_ILLUSTRATIVE_PREVALENCE` are ILLUSTRATIVE. A patient-level test split
  (20 %, stratified on the label combination and modality, seed 586) is made with
  :func:`benchmark.data.split.make_split`, like the ScopeMRI authors' stratified split (github
  sahilsethi0105/scope-mri, ``src/train_test_val_creation.py``; 117 test MRIs). A reader
  study of the Bankart lesion on the test split (``demo/test_reads_bankart.csv``): 5 simulated
  readers, each reading every test study with a 5-point confidence rating and a binary call
  (rating 4 or 5); the readers' accuracy (:data:`SCOPEMRI_READER_AUC`) is ILLUSTRATIVE, no
  reader study of ScopeMRI being published.
* RSNA 2022 cervical spine (``tasks/_datasets/rsna-cspine``): 1,500 synthetic
  ``StudyInstanceUID`` values and labels ``patient_overall,C1..C7`` at the training prevalence
  of the competition's ``train.csv`` (overall 961, C1 146, C2 285, C3 73, C4 108, C5 162,
  C6 277, C7 393 of 2,019 studies: counts of ``train.csv`` of the Kaggle competition
  rsna-2022-cervical-spine-fracture-detection; Lin et al. 2023, doi:10.1148/ryai.230034),
  scaled to 1,500 studies and rounded. ``patient_overall == max(C1..C7)`` holds exactly: the
  vertebra labels are placed only in fractured studies, at least one per fractured study.
* RSNA 2024 lumbar spine (``tasks/_datasets/rsna-lumbar``): 300 synthetic integer study ids
  (7-10 digits) and labels in the native ``train.csv`` layout (``study_id`` + 25 columns
  ``<condition>_<level>`` holding ``Normal/Mild``, ``Moderate``, ``Severe``, 1 % of cells
  empty). The class mix per condition and level (:data:`LUMBAR_CLASS_MIX`) is ILLUSTRATIVE:
  mostly Normal/Mild, more severe at the lower levels.
* Demo submissions under ``submissions/<task-id>/<team>__<model>/`` (``predictions.csv`` and
  ``submission.toml``), five per task from a prevalence baseline (constant prediction at the
  demo prevalence) to two strong entries of nearly equal quality. Scores come from a binormal
  latent model: a signal ``s ~ N(mu * y, 1)`` whose separation ``mu`` is set from an intended
  AUC (``AUC = Phi(mu / sqrt(2))``), turned into the calibrated posterior probability
  ``logit p = logit(prior) + mu * s - mu**2 / 2``; the lumbar task uses the ordinal analogue
  ``s ~ N(mu * grade, 1)`` with the posterior over the three grades.

Every written file says it is SYNTHETIC in its first line. Each data set has its own seed and
each submission its own random stream (``numpy.random.default_rng((seed, stream))``), so the
output is the same bytes for the same code, and adding an entry does not change the others.
One module per data set writes its files and its demo submissions
(:mod:`benchmark.demo.mrnet`, :mod:`benchmark.demo.scopemri`, :mod:`benchmark.demo.rsna_cspine`,
:mod:`benchmark.demo.rsna_lumbar`); :mod:`benchmark.demo.common` holds the seeds, the CSV text
and the latent models they share, :mod:`benchmark.demo.entries` the demo teams and their
``submission.toml``. This module puts them together. Importing it has no side effects, and no
module of the harness imports it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path
from typing import Optional, Sequence

from ..core.errors import HostError
from ..core.fileio import atomic_write_bytes, atomic_write_text
from ..submissions.confidential import decrypt, encrypt, load_identity
from . import mrnet, rsna_cspine, rsna_lumbar, scopemri
from .common import SEEDS, SUBMISSIONS_DIR
from .entries import (
    CONFIDENTIAL_TASKS,
    DEMO_IDENTITY,
    ENCRYPTED_SUFFIX,
    numbered,
    submission_toml,
)

__all__ = ["SEEDS", "DATASETS", "build_all", "generate", "check", "main"]

#: The data set modules, in the order their demo entries are numbered (each entry's random
#: stream is ``100 + position``: a new data set goes last, so no other file changes).
DATASETS = (mrnet, scopemri, rsna_cspine, rsna_lumbar)


def build_all() -> dict:
    """Generate every demo file in memory.

    Returns
    -------
    dict
        Maps each path relative to the repository root (POSIX form) to the file's text.
    """
    out: dict = {}
    made = [(module, module.files(out), module.entries()) for module in DATASETS]
    owners = [(module, data) for module, data, entries in made for _ in entries]
    numbered_entries = numbered(e for _, _, entries in made for e in entries)
    for (module, data), entry in zip(owners, numbered_entries):
        text = module.predictions(entry, data)
        folder = f"{SUBMISSIONS_DIR}/{entry.task}/{entry.folder}"
        if entry.task in CONFIDENTIAL_TASKS:  # the plain text, written encrypted by generate()
            sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
            out[f"{folder}/predictions.csv{ENCRYPTED_SUFFIX}"] = text
            out[f"{folder}/submission.toml"] = submission_toml(entry, sha)
        else:
            out[f"{folder}/predictions.csv"] = text
            out[f"{folder}/submission.toml"] = submission_toml(entry)
    return dict(sorted(out.items()))


def generate(root: "str | Path") -> list:
    """Write every demo file under ``root``.

    Parameters
    ----------
    root : str or Path
        Repository root (or any directory) that receives ``tasks/_datasets/...`` and
        ``submissions/...``.

    Returns
    -------
    list of str
        The relative paths written, sorted.
    """
    root = Path(root)
    files = build_all()
    for rel, text in files.items():
        if rel.endswith(ENCRYPTED_SUFFIX):
            if plaintext(root / rel, root) != text.encode("utf-8"):  # keep an up-to-date file
                task = rel.split("/")[1]
                atomic_write_bytes(root / rel, encrypt(text.encode("utf-8"), CONFIDENTIAL_TASKS[task]))
        else:
            atomic_write_text(root / rel, text)
    return list(files)


def plaintext(path: Path, root: "str | Path") -> Optional[bytes]:
    """The plain content of a demo file: decrypted with the DEMO key for ``.age`` files.

    ``None`` when the file is missing or cannot be decrypted. The demo key is read from
    ``root``, else from the repository this module belongs to.
    """
    path = Path(path)
    if not path.is_file():
        return None
    if not path.name.endswith(ENCRYPTED_SUFFIX):
        return path.read_bytes()
    key = Path(root) / DEMO_IDENTITY
    if not key.is_file():
        key = Path(__file__).resolve().parents[2] / DEMO_IDENTITY
    try:
        return decrypt(path.read_bytes(), load_identity(key))
    except (ValueError, HostError):
        return None


def check(root: "str | Path") -> list:
    """Regenerate into a temporary directory and compare with the files under ``root``.

    Parameters
    ----------
    root : str or Path
        Repository root holding the committed demo files.

    Returns
    -------
    list of str
        Relative paths whose bytes differ from a fresh generation, or that are missing.
    """
    root = Path(root)
    with tempfile.TemporaryDirectory() as tmp:
        written = generate(tmp)
        differ = []
        for rel in written:
            if plaintext(root / rel, root) != plaintext(Path(tmp) / rel, root):
                differ.append(rel)
    return differ


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point of ``python -m benchmark.demo.generate``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmark.demo.generate",
        description="Generate the SYNTHETIC demo data (public id lists, demo labels, demo "
        "submissions) with fixed seeds.",
    )
    parser.add_argument(
        "--root", default=".", help="repository root to write into (default: current directory)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 listing the files that differ from a fresh generation",
    )
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not root.is_dir():
        print(f"error: --root {args.root!r} is not a directory.", file=sys.stderr)
        return 2
    if args.check:
        differ = check(root)
        if differ:
            print(f"{len(differ)} demo file(s) differ from a fresh generation:")
            for rel in differ:
                print(f"  {rel}")
            print("Run `python -m benchmark.demo.generate` to regenerate them.")
            return 1
        print("demo files are up to date.")
        return 0
    written = generate(root)
    print(f"wrote {len(written)} demo file(s) under {root}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
