"""The CLI's commands, one module per group of commands, each registered on the group."""
