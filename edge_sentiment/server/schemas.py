"""The HTTP API's request and response bodies (pydantic models: FastAPI validates requests
with them and describes them in the OpenAPI document)."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PredictRequest(BaseModel):
    """One text (``text``) or a list (``texts``), not both."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "great film"},
                                                                               {"texts": ["great film", "dull"], "top_k": 1}]})
    text: Optional[str] = Field(None, description="One text to score; the response is one prediction.")
    texts: Optional[list[str]] = Field(None, description="Texts to score; the response lists one prediction per text, in order.")
    top_k: Optional[int] = Field(None, ge=1, description="Keep the top_k highest of each prediction's scores (default: all).")

    @model_validator(mode="after")
    def _one_of_text_or_texts(self) -> PredictRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give either 'text' (one text) or 'texts' (a list), not both and not neither")
        return self


class Prediction(BaseModel):
    """The fields of ``edge-sentiment predict --json``."""

    text: str
    label: str = Field(description="The predicted label.")
    score: float = Field(description="Binary: P(positive label); otherwise the predicted label's probability.")
    labels: Optional[list[str]] = Field(None, description="Multilabel bundles only: every label at or over its threshold, "
                                        "best first (at least the top one when the bundle's min_labels is 1).")
    scores: dict[str, float] = Field(description="Each label's probability, highest first (the top_k highest if asked).")


class Predictions(BaseModel):
    predictions: list[Prediction]


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "not bad at all"}]})
    text: str = Field(description="The text to explain.")
    label: Optional[str] = Field(None, description="More than two labels: the label whose score to explain "
                                 "(default: the predicted label).")


class TokenContribution(BaseModel):
    token: str
    start: int = Field(description="Where the token starts in the text (characters).")
    end: int
    contribution: float = Field(description="Its share of the logit.")


class Explanation(BaseModel):
    """logit = base + the sum of the contributions; score = sigmoid(logit)."""

    text: str
    label: str
    score: float
    logit: float
    base: float = Field(description="The logit of the empty text.")
    tokens: list[TokenContribution]


class Error(BaseModel):
    error: str = Field(description="What is wrong and how to fix it, one line.")


class Status(BaseModel):
    status: str
