"""The ``pvpp`` command line."""
