"""Statistics of reader studies: multi-reader multi-case (MRMC) analysis."""
