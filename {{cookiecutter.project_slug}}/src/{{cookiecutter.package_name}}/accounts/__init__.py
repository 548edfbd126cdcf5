"""Example transaction: money transfers between accounts with row locks."""
