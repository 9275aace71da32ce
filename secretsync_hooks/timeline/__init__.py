"""The remote across time: its history, and putting it back as it was."""
