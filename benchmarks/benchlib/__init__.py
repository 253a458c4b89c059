"""Building blocks of the benchmark harness (benchmarks/run.py)."""
