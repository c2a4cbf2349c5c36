"""Files users upload for import connectors: stored in the database, served to connectors."""
