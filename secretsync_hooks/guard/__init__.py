"""The leak guard: finding the real values in files, staged blobs and streams."""
