"""The AWS side: one session per command, the two backends (one Secrets Manager secret, or
Parameter Store parameters under a path), and AWS's failures made readable."""
