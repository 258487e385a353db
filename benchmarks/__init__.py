"""Benchmarks: `make bench` (python -m benchmarks). Results go to benchmarks/results/."""
