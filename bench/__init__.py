"""stixflow's benchmark harness: ``python -m bench`` (or ``make bench``).

Speed is measured here and only here, never in the test suite. Each scenario is a module in
:mod:`bench.scenarios` returning result rows; :mod:`bench.table` prints them all as one markdown
table and :mod:`bench.results` keeps them as JSON in ``bench/results/``. See
``docs/benchmarks.md``.
"""
