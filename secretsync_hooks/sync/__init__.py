"""The sync core: one environment's two sides read, compared key by key against the record
of their last agreement, and brought together; several targets at once."""
