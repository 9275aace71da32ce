"""The local side: the .env file read and edited losslessly, files written atomically,
which files found on disk may be trusted, and what git would do with them."""
