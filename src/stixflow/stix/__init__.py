"""STIX 2.1 as pure functions: ids, upgrade from 2.0, validation, bundles, merging, markings.

Import the modules directly (``from stixflow.stix.bundle import normalize``); this package
re-exports nothing, so importing it stays cheap (the validator loads its schemas on first use).
"""
