-- Knowledge base at scale (issue 18): the trigram index over objects.search_text in two parts
-- (store/search.py): the edges (relationships and sightings without a name: most rows, all
-- ranked last, their ids after those of most object types) and the rest. A search reads the
-- rest first and the edges only when they may reach its page, so the first page of a frequent
-- word no longer reads every relationship whose description holds it. Each row is in one part:
-- the same index entries as before, written the same way. The predicates are the ones the
-- queries name (search.EDGES, search.NAMED), so that the planner picks these indexes.
DROP INDEX objects_search_trgm;
CREATE INDEX objects_search_named_trgm ON objects USING gin (search_text gin_trgm_ops)
WHERE NOT (type IN ('relationship', 'sighting') AND search_names IS NULL);
CREATE INDEX objects_search_edges_trgm ON objects USING gin (search_text gin_trgm_ops)
WHERE type IN ('relationship', 'sighting') AND search_names IS NULL;
