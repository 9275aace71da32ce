"""Where the settings come from: ``.secretsync.toml`` found, checked against its schema and
resolved with the environment overrides, each setting remembering its source."""
