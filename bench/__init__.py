"""Benchmarks. Run each as a module from the repo root (``python -m bench.token``), so
that ``bench/token.py`` never shadows the standard library's ``token`` module."""
