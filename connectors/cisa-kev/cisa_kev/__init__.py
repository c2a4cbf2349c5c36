"""CISA Known Exploited Vulnerabilities (JSON) into stixflow."""
