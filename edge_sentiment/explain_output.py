"""How ``edge-sentiment explain`` shows an :class:`~edge_sentiment.explain.Explanation`:
coloured text on a terminal, one JSON object per text, or a self-contained HTML page.

Colours run from red (the word pushed the score toward ``labels[0]``, or away from the explained
label of a bundle with more labels) to green (toward ``labels[1]``, or the explained label); the
stronger the push, the stronger the colour, scaled by the largest contribution in the text.
"""

from __future__ import annotations

import html
import json

from .explain import Explanation, TokenContribution
from .text import LINE_BREAK

#: RGB of the two ends; white is no contribution.
NEGATIVE_RGB, POSITIVE_RGB = (214, 39, 40), (44, 160, 44)


def as_json(explanation: Explanation) -> str:
    return json.dumps(explanation.to_dict(), ensure_ascii=False)


def _mix(contribution: float, largest: float) -> tuple[int, int, int]:
    """White blended toward red or green by ``|contribution| / largest``."""
    strength = min(abs(contribution) / largest, 1.0) if largest > 0 else 0.0
    end = POSITIVE_RGB if contribution > 0 else NEGATIVE_RGB
    red, green, blue = (round(255 + (c - 255) * strength) for c in end)
    return red, green, blue


def _pieces(explanation: Explanation):
    """The text cut into ``(piece, contribution or None)``: tokens and what lies between them."""
    text, cursor = explanation.text, 0
    out: list[tuple[str, float | None]] = []
    for token in sorted(explanation.tokens, key=lambda t: t.start):
        if token.start < cursor:  # a character that made two tokens (e.g. "½"): coloured once
            continue
        out.append((text[cursor : token.start], None))
        out.append((text[token.start : token.end], token.contribution))
        cursor = token.end
    out.append((text[cursor:], None))
    return [(piece, value) for piece, value in out if piece]


def _largest(explanation: Explanation) -> float:
    return max((abs(t.contribution) for t in explanation.tokens), default=0.0)


def terminal_lines(explanation: Explanation, top: int, poles: tuple[str, str]):
    """Rich renderables: a header, the coloured text, and the top words with their contributions;
    ``poles``: what a negative and a positive contribution do ("toward negative", ...)."""
    from rich.text import Text

    largest = _largest(explanation)
    header = Text(f"{explanation.label}  score {explanation.score:.4f}  logit {explanation.logit:+.3f} "
                  f"= base {explanation.base:+.3f} (the empty text) + the words")
    body = Text()
    for piece, value in _pieces(explanation):
        if value is None:
            body.append(piece)
        else:
            r, g, b = _mix(value, largest)
            body.append(piece, style=f"black on rgb({r},{g},{b})")
    lines = [header, body]
    for token in explanation.top(top):
        direction = poles[1] if token.contribution > 0 else poles[0]
        lines.append(Text(f"  {token.contribution:+.3f}  {_as_written(explanation, token)}  ({direction})"))
    return lines


def _as_written(explanation: Explanation, token: TokenContribution) -> str:
    """A word as the text has it ("Great", "ㅋㅋ"), not as the tokenizer made it ("great", NFKC's "ᄏᄏ")."""
    return explanation.text[token.start : token.end]


def html_page(explanations: list[Explanation], poles: tuple[str, str], top: int) -> str:
    """One self-contained page (no scripts, no external files) showing every explanation
    (``poles``: as :func:`terminal_lines`)."""
    sections = []
    for explanation in explanations:
        largest = _largest(explanation)
        spans = []
        for piece, value in _pieces(explanation):
            if value is None:  # IMDB's <br /> tags show as line breaks
                spans.append("<br>".join(html.escape(part) for part in LINE_BREAK.split(piece)))
            else:
                r, g, b = _mix(value, largest)
                spans.append(f'<span class="w" style="background:rgb({r},{g},{b})" title="{value:+.4f}">'
                             f"{html.escape(piece)}</span>")
        rows = "".join(f"<tr><td>{t.contribution:+.3f}</td><td>{html.escape(_as_written(explanation, t))}</td></tr>"
                       for t in explanation.top(top))
        sections.append(
            f'<section><h2>{html.escape(explanation.label)} <small>score {explanation.score:.4f}, '
            f"logit {explanation.logit:+.3f} = base {explanation.base:+.3f} + words</small></h2>"
            f'<p class="text">{"".join(spans)}</p><table><tr><th>contribution</th><th>word</th></tr>{rows}</table></section>'
        )
    legend = (f'<p class="legend"><span class="w" style="background:rgb{NEGATIVE_RGB}">{html.escape(poles[0])}</span> '
              f'<span class="w" style="background:rgb{POSITIVE_RGB}">{html.escape(poles[1])}</span> '
              "(colour strength: the word's share of the largest contribution in its text; hover a word for its value)</p>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edge-sentiment explain</title>
<style>
body {{ font: 16px/1.6 system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #222; }}
section {{ border-top: 1px solid #ccc; padding: 0.5em 0 1em; }}
h2 {{ font-size: 1.1em; margin: 0.3em 0; }} small {{ font-weight: normal; color: #555; }}
.text {{ white-space: pre-wrap; }} .w {{ border-radius: 3px; padding: 0 1px; }}
table {{ border-collapse: collapse; font-size: 0.9em; }} td, th {{ padding: 0 0.8em 0 0; text-align: left; }}
</style></head><body>
<h1>Which words drove the score</h1>
{legend}
{"".join(sections)}
</body></html>
"""
