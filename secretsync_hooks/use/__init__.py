"""Using the values without a .env on disk: ``run`` and ``export``."""
