"""stixflow: one clean, deduplicated STIX 2.1 knowledge base fed from every kind of source."""

__version__ = "0.1.0"
