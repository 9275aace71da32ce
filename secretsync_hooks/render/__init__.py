"""Everything secretsync prints: tables and lines for people, plain lines for the hooks,
and one JSON document per command."""
