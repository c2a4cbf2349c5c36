"""Developer tools run with ``python -m stixflow.tools.<name>``."""
