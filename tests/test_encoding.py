import numpy as np
import pytest

from edge_sentiment.constants import OOV_ID, PAD_ID, START_ID
from edge_sentiment.encoding import Encoder, EncodingConfig, pad_sequences

VOCAB = {"the": 3, "film": 4, "great": 5, "bad": 6, "plot": 7}


def encoder(**overrides) -> Encoder:
    options = {"maxlen": 6, "num_words": 100} | overrides
    return Encoder(VOCAB, EncodingConfig(**options))


def test_start_id_then_word_ids_pre_padded():
    assert encoder().encode(["The film"]).tolist() == [[PAD_ID, PAD_ID, PAD_ID, START_ID, 3, 4]]


def test_unknown_words_are_oov():
    assert encoder().ids("great zzzz film") == [START_ID, 5, OOV_ID, 4]


def test_num_words_caps_the_vocabulary():
    # ids >= num_words read as OOV, as in keras.datasets.imdb
    assert encoder(num_words=6).ids("great bad plot") == [START_ID, 5, OOV_ID, OOV_ID]


def test_skip_top_maps_the_most_frequent_words_to_oov():
    assert encoder(skip_top=5).ids("the film great") == [START_ID, OOV_ID, OOV_ID, 5]


def test_drop_special_keeps_only_word_ids():
    assert encoder(drop_special=True).ids("the zzzz film") == [3, 4]
    assert encoder(drop_special=True).encode(["zzzz"]).tolist() == [[PAD_ID] * 6]


def test_pre_truncation_keeps_the_end_and_drops_start():
    row = encoder(maxlen=3).encode(["the film great bad plot"])[0]
    assert row.tolist() == [5, 6, 7]


def test_post_modes():
    enc = encoder(maxlen=3, padding="post", truncating="post")
    assert enc.encode(["film"]).tolist() == [[START_ID, 4, PAD_ID]]
    assert enc.encode(["the film great bad"]).tolist() == [[START_ID, 3, 4]]


def test_empty_text_is_just_the_start_id():
    assert encoder(maxlen=3).encode([""]).tolist() == [[PAD_ID, PAD_ID, START_ID]]


def test_encode_of_no_texts_has_the_right_shape():
    out = encoder().encode([])
    assert out.shape == (0, 6) and out.dtype == np.int32


@pytest.mark.parametrize(
    "options, message",
    [
        ({"maxlen": 0}, "maxlen"),
        ({"num_words": 3}, "num_words"),
        ({"skip_top": 100}, "skip_top"),
        ({"padding": "middle"}, "padding must be one of"),
        ({"truncating": "both"}, "truncating must be one of"),
    ],
)
def test_bad_configs_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        EncodingConfig(**({"maxlen": 5, "num_words": 10} | options))


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_pad_sequences_equals_keras(padding, truncating):
    keras = pytest.importorskip("keras", reason="the Keras comparison needs the 'train' extra")
    rng = np.random.default_rng(7)
    for maxlen in (1, 5, 37):
        sequences = [rng.integers(1, 1000, size=rng.integers(0, 80)).tolist() for _ in range(200)]
        ours = pad_sequences(sequences, maxlen, padding=padding, truncating=truncating)
        theirs = keras.utils.pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating)
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == np.int32


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_encoder_rows_equal_padded_id_sequences(padding, truncating):
    enc = encoder(maxlen=4, padding=padding, truncating=truncating)
    texts = ["", "film", "the film great bad plot zzz", "great great"]
    expected = pad_sequences([enc.ids(t) for t in texts], 4, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(enc.encode(texts), expected)
