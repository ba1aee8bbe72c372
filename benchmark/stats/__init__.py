"""Statistics: resampling plans, intervals, DeLong, ranks, significance, operating points,
reader studies and multi-reader multi-case (MRMC) analysis.

Modules, lowest first: ``checks`` (shared argument checks), ``resampling`` (the bootstrap plan),
``kernels`` (fused replicate kernels), ``intervals`` (percentile, BCa, Wilson, paired
differences, verdicts), ``delong``, ``ranking``, ``significance``, ``operating_points``,
``baselines`` (published reader operating points), ``reads`` (reads files), ``reader_studies``,
``mrmc_io``, ``mrmc`` and ``mrmc_panel``.
"""
