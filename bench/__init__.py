"""Benchmarks of the pages, jobs and reports at city scale: `make bench` (see bench/run.py).

Nothing here is imported by the application. Keep this file free of Django
imports: the locust process loads bench/locustfile.py from this package.
"""
