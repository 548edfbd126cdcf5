"""What the tests share, by concern; PROJECT_DIR is the generated project."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
