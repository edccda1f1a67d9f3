"""The heartbeat benchmark (issue 8): ``python bench/run.py``; see bench/README.md."""
