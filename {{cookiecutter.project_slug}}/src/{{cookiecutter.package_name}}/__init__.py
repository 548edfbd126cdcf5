"""The service package: create_app() in main.py builds the ASGI app."""

# The distribution name in pyproject.toml, under which this package is installed.
DISTRIBUTION = "{{ cookiecutter.project_slug }}"
