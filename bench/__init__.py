"""Benchmarks for the Store Claims Portal; run them with ``python -m bench``."""
