"""Errors the CLI turns into one line on stderr and exit code 2."""


class BadInput(ValueError):
    """The user asked for something the harness cannot do; the message says what to fix."""
