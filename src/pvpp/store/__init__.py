"""Persistence: tables, migrations, sessions and the content-addressed file store."""
