"""Print the HTTP API's OpenAPI document (the one ``GET /openapi.json`` serves):
``python -m edge_sentiment.server.openapi > docs/openapi.json``."""

import json

from ..classifier import SentimentClassifier
from .app import create_app
from .settings import ServeSettings

if __name__ == "__main__":
    print(json.dumps(create_app(SentimentClassifier.load(), ServeSettings()).openapi(), indent=2, ensure_ascii=False))
