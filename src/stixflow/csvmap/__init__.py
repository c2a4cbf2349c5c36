"""CSV mappers: a stored description of a CSV file's columns, and the engine that turns its rows
into STIX 2.1 (``model`` · ``catalog`` · ``engine`` · ``patterns`` · ``tester`` · ``store``)."""
