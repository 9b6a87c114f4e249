"""Benchmarks of the solver core: build, hand-off, solve and memory, case by case.

``python -m benchmarks [--quick] [--cases NAME ...] [--out results.json]`` runs every
case in a fresh subprocess and prints a table; :mod:`benchmarks.cases` holds the
registry, :mod:`benchmarks.drivers` the timed phases, :mod:`benchmarks.baseline_pulp`
the straightforward PuLP build measured beside ours, :mod:`benchmarks.stress` the
memory/time limit of the machine and :mod:`benchmarks.asv_bench` the asv classes.
"""
