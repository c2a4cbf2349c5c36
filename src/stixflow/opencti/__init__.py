"""OpenCTI interoperability: its configuration files (CSV mappers, CSV feeds, TAXII feeds,
TAXII Push ingesters) read and written, so ingesters move between OpenCTI and stixflow."""
