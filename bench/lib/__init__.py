"""Shared helpers of the benchmarks in bench/: load generation, servers, /proc readings.

Every `bench/*.py` is a runnable benchmark (`make bench` runs them all); this package
holds what they share and is never run by itself.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
