"""Each upload strategy's definition: its settings, what middleware and the bucket must
allow for its routes, and how an upload of its making is removed. Nothing here imports
routes, so settings.py can join a strategy's settings (uploads/strategy.py names it)."""
