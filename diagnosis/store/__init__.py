"""The provider's workspace: merchants, uploads (as Parquet), versioned diagnoses and plans, action status and
meeting notes, in SQLite by default or PostgreSQL via DATABASE_URL, migrated with Alembic."""
