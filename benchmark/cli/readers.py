"""``benchmark readers mrmc``: multi-reader multi-case analysis of a reads file."""

from __future__ import annotations

import sys

from ..core.canonical import canonical_json
from ..core.errors import EXIT_OK, UsageError
from ..core.fileio import atomic_write_text
from ..stats.mrmc import format_mrmc, mrmc_analysis
from ..stats.mrmc_io import read_mrmc_file


def run(args) -> int:
    if not 0 < args.level < 1:
        raise UsageError(f"--level must be in (0, 1). Got {args.level} instead.")
    data = read_mrmc_file(args.file, fom=args.fom, model=args.model)
    res = mrmc_analysis(data, fom=args.fom, model=args.model, level=args.level)
    text = canonical_json(res)
    if args.json == "-":
        sys.stdout.write(text)
        return EXIT_OK
    if args.json:
        atomic_write_text(args.json, text)
    sys.stdout.write(format_mrmc(res))
    if args.json:
        print(f"result written to {args.json}")
    return EXIT_OK
