"""The shipped default model. Installed as ``edge_sentiment.artifacts`` so that the
runtime finds ``default/`` with importlib.resources from any working directory."""
