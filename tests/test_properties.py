"""Property-based tests of the preprocessing (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_sentiment.constants import FIRST_WORD_ID, OOV_ID, PAD_ID, START_ID
from edge_sentiment.encoding import Encoder, EncodingConfig
from edge_sentiment.text import tokenize

WORDS = ["film", "great", "bad", "plot", "actor", "don't", "café", "10", "boring", "scene", "the", "a"]
VOCAB = {w: FIRST_WORD_ID + i for i, w in enumerate(WORDS)}

texts = st.lists(
    st.one_of(st.sampled_from(WORDS), st.text(min_size=0, max_size=12)), max_size=120
).map(" ".join)
configs = st.builds(
    EncodingConfig,
    maxlen=st.integers(1, 60),
    num_words=st.integers(FIRST_WORD_ID + 4, FIRST_WORD_ID + len(WORDS) + 3),  # above any skip_top drawn
    skip_top=st.integers(0, 6),
    padding=st.sampled_from(["pre", "post"]),
    truncating=st.sampled_from(["pre", "post"]),
    drop_special=st.booleans(),
)
SETTINGS = settings(max_examples=300, deadline=None)


@SETTINGS
@given(texts, configs)
def test_rows_have_maxlen_ids_within_the_vocabulary(text, config):
    rows = Encoder(VOCAB, config).encode([text, text])
    assert rows.shape == (2, config.maxlen) and rows.dtype == np.int32
    assert rows.min() >= 0 and rows.max() < config.num_words
    assert (rows[0] == rows[1]).all()  # deterministic


@SETTINGS
@given(texts, configs)
def test_oov_only_where_the_vocabulary_says(text, config):
    encoder = Encoder(VOCAB, config)
    tokens = tokenize(text)
    expected = [
        VOCAB[t] if t in VOCAB and config.skip_top <= VOCAB[t] < config.num_words else OOV_ID for t in tokens
    ]
    ids = encoder.ids(text)
    if config.drop_special:
        assert ids == [i for i in expected if i > OOV_ID]
    else:
        assert ids == [START_ID] + expected


@SETTINGS
@given(texts, configs)
def test_padding_only_at_the_front_for_pre(text, config):
    row = Encoder(VOCAB, config).encode([text])[0]
    ids = Encoder(VOCAB, config).ids(text)
    n_pad = max(0, config.maxlen - len(ids))
    if config.padding == "pre":
        assert (row[:n_pad] == PAD_ID).all() and (row[n_pad:] != PAD_ID).all()
    else:
        assert (row[config.maxlen - n_pad :] == PAD_ID).all() and (row[: config.maxlen - n_pad] != PAD_ID).all()


@SETTINGS
@given(texts, configs)
def test_pre_truncation_keeps_the_last_ids(text, config):
    ids = Encoder(VOCAB, config).ids(text)
    row = Encoder(VOCAB, config).encode([text])[0]
    kept = ids[-config.maxlen :] if config.truncating == "pre" else ids[: config.maxlen]
    nonpad = row[row != PAD_ID].tolist()
    assert nonpad == kept


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_tokens_are_lowercase_nonempty_and_stable(text):
    tokens = tokenize(text)
    assert all(t and t == t.lower() and not t.startswith("'") and not t.endswith("'") for t in tokens)
    assert tokenize(" ".join(tokens)) == tokens


long_texts = st.lists(
    st.one_of(
        st.sampled_from(WORDS + ["<br />", "<br/>", "don't", "e\u0301", "ΟΔΟΣ.", "ﬁ", "Ⅻ", "—", "  ", "'", "\u0301"]),
        st.text(min_size=0, max_size=6),
    ),
    min_size=0,
    max_size=400,
).map(lambda parts: "".join(p + (" " if i % 3 else "") for i, p in enumerate(parts)))


@settings(max_examples=500, deadline=None)
@given(long_texts, configs.filter(lambda c: c.maxlen <= 12))
def test_window_encoding_equals_whole_text_encoding(text, config):
    # maxlen <= 12 makes the window (16 chars per id) shorter than most texts here,
    # so the fast path runs on cuts through words, tags, marks and apostrophes.
    encoder = Encoder(VOCAB, config)
    whole = encoder.ids(text)
    kept = whole[-config.maxlen :] if config.truncating == "pre" else whole[: config.maxlen]
    assert encoder.kept_ids(text) == kept


@settings(max_examples=1000, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127), max_size=300),
        st.lists(st.sampled_from(["a", "B", "'", "''", " ", "9", "x'y", "<br />", "\t", "-", "don't"]), max_size=60).map("".join),
    )
)
def test_ascii_fast_path_equals_the_general_pattern(text):
    from edge_sentiment.text import _token_pattern, normalize

    assert tokenize(text) == _token_pattern().findall(normalize(text))


#: Characters that make the non-ASCII path interesting: accented letters (composed and
#: not), combining marks (BMP and beyond), other scripts and digits, typographic
#: punctuation, non-breaking and other Unicode spaces, emoji, the curly apostrophe.
UNICODE_PIECES = [
    "café", "cafe\u0301", "\u0301", "\u093f", "नमस्ते", "שָׁלוֹם", "مرحبا", "٣", "Straße", "ǅ", "ﬁ", "Ｆｕｌｌ",
    "\u2019", "“", "”", "–", "…", "\u00a0", "\u2028", "\u3000", "😀", "\U0001d165", "_", "'", "''", " ", "x'y", "<br />",
    "\u2764\ufe0f", "\ufe0f", "\U0001f44d\U0001f3fd", "\u200d", "\u2122", "\u00a9", "\u2605", "\U0001fae8",
]


@settings(max_examples=1000, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(UNICODE_PIECES + ["a", "B", "9", "don't", "-"]), max_size=60).map("".join),
    )
)
def test_unicode_fast_path_equals_the_general_pattern(text):
    from edge_sentiment.text import _token_pattern, normalize

    assert tokenize(text) == _token_pattern().findall(normalize(text))
    assert tokenize(text, symbols=True) == _token_pattern(True).findall(normalize(text, True))


def test_both_fast_paths_equal_the_general_pattern_on_real_reviews(real_test_split):
    from edge_sentiment.text import _token_pattern, normalize

    texts = real_test_split.texts
    non_ascii = [t for t in texts if not normalize(t).isascii()]
    assert len(non_ascii) > 2000  # 2,304 of the 25,000 test reviews
    for text in non_ascii + texts[:: 25]:
        assert tokenize(text) == _token_pattern().findall(normalize(text))


@pytest.mark.parametrize(
    "options", [{}, {"maxlen": 64, "truncating": "post", "padding": "post"}, {"maxlen": 100, "drop_special": True, "skip_top": 20}]
)
def test_encoder_rows_equal_the_whole_text_ids_on_real_reviews(real_test_split, options):
    """Encoder.encode (windowed tokenizing, lookup of kept tokens only) == pad_sequences(ids of the whole text)."""
    from edge_sentiment import load_bundle
    from edge_sentiment.encoding import pad_sequences

    bundle = load_bundle(None)
    config = EncodingConfig(**{**bundle.encoding.to_dict(), **options})
    encoder = Encoder(bundle.vocab, config)
    texts = real_test_split.texts[::5]
    expected = pad_sequences([encoder.ids(t) for t in texts], config.maxlen, config.padding, config.truncating)
    np.testing.assert_array_equal(encoder.encode(texts), expected)
