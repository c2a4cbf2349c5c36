"""One module per page or tab; each exposes ``router``."""
