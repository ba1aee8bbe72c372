"""Statistics: resampling plans, intervals, DeLong, ranks, significance, operating points,
reader studies and multi-reader multi-case (MRMC) analysis.

Modules, lowest first: ``methods`` (names of the interval methods), ``checks`` (shared argument
checks), ``resampling`` (the bootstrap plan), ``kernels`` (what a metric declares: per-case
terms, AUC columns), ``engine`` (every kernel on every replicate, fused), ``intervals``
(percentile, BCa, Wilson, paired differences, verdicts), ``delong``, ``ranking``,
``significance``, ``operating_points``, ``baselines`` (published reader operating points),
``reads`` (reads files), ``reader_studies``, ``mrmc_io``, ``mrmc`` and ``mrmc_panel``.
"""
