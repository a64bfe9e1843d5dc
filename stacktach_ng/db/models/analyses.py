"""Models of the analyses (lifecycles, timings, traces, errors, summary)."""
