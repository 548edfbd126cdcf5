"""The service package: create_app() in main.py builds the ASGI app."""
