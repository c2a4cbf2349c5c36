"""The knowledge store: STIX objects with provenance, behind one interface (``base``)."""
