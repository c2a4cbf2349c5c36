"""Users, tokens and (later) groups, capabilities and marking-based access."""
