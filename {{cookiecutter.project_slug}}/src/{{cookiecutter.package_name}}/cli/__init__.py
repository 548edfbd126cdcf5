"""Commands run beside the service: python -m <package>.cli.<command>."""
