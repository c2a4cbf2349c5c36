"""Workers: consume queued messages, validate each object, write to the store, count the work."""
