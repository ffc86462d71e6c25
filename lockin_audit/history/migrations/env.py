"""Alembic environment for the history store.

The store runs migrations itself (lockin_audit.history.store) on a connection that is
already inside a transaction holding the migration lock, so this only hands that
connection to Alembic. There is no alembic.ini: nothing here reads a file or a URL.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
