"""Users: registration, password hashing (argon2id), the account of the caller."""
