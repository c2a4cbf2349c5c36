"""MITRE ATT&CK (or any STIX bundle published at a URL) into stixflow."""
