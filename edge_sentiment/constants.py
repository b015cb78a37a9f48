"""Every number and name that the runtime and the training stage must agree on.

The id layout follows the Keras IMDB convention the project grew from:
0 pads, 1 starts a text, 2 stands for any out-of-vocabulary word, and real
words start at 3, ranked by how often they occur in the training set.
"""

PAD_ID = 0
START_ID = 1
OOV_ID = 2
FIRST_WORD_ID = 3

#: Ids at or below this one are "special" (pad, start, OOV); some presets drop them.
LAST_SPECIAL_ID = OOV_ID

PADDING_MODES = ("pre", "post")

#: Label order: index 0 is the negative class, index 1 the positive one.
LABELS = ("negative", "positive")
DEFAULT_THRESHOLD = 0.5

#: The bundle's manifest file (its schema and FORMAT_VERSION: edge_sentiment/manifest.py).
MANIFEST_NAME = "manifest.json"

#: Names of the tokenizers implemented in :mod:`edge_sentiment.text`. A bundle records
#: its own, so that a tokenizer change cannot silently reuse an old vocab. v1 (the IMDB
#: presets' and the default): words only; v2: words, and each symbol (emoji, ♥, ★) as a token.
TOKENIZER_NAME = "edge-sentiment-v1"
SYMBOLS_TOKENIZER = "edge-sentiment-v2"
TOKENIZERS = (TOKENIZER_NAME, SYMBOLS_TOKENIZER)
