"""Renderers of the sync core's results: ``terminal`` (rich, for people) and ``json_fmt``."""
