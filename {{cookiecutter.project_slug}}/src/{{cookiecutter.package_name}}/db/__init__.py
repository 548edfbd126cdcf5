"""Database access: engine and pool, sessions, the model base class."""
