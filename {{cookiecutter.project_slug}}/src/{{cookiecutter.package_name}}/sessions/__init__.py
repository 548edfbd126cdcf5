"""Sessions: one strategy, chosen at generation, behind one interface (strategy.py)."""
