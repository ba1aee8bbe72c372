"""Evaluation harness for medical-imaging AI benchmarks.

Validate a submission, score it with exact task metrics and paired bootstrap confidence
intervals, compare it with radiologist baselines and other submissions, and build a static
leaderboard. See README.md.
"""

__version__ = "0.1.0"
