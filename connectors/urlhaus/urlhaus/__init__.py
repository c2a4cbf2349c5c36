"""abuse.ch URLhaus (CSV) into stixflow."""
