"""Signing up, logging in, changing a password: the flows that join accounts and sessions."""
