"""One module per scenario; each exposes the function ``__main__`` calls for its number."""
