import unicodedata

from edge_sentiment.text import normalize, tokenize


def test_lowercases_and_splits_on_punctuation():
    assert tokenize("A GREAT film, truly!") == ["a", "great", "film", "truly"]


def test_html_line_breaks_separate_words():
    assert tokenize("end.<br /><br />Next<BR>line<br/>x") == ["end", "next", "line", "x"]


def test_apostrophes_stay_inside_words_only():
    assert tokenize("don't 'quoted' rock'n'roll it's") == ["don't", "quoted", "rock'n'roll", "it's"]


def test_curly_apostrophe_is_the_ascii_one():
    assert tokenize("don\u2019t") == ["don't"]


def test_digits_are_tokens():
    assert tokenize("10/10, 7 out of 10") == ["10", "10", "7", "out", "of", "10"]


def test_non_ascii_letters_are_kept():
    assert tokenize("Café Amélie, Šťastný, Ελληνικά, русский") == ["café", "amélie", "šťastný", "ελληνικά", "русский"]


def test_composed_and_decomposed_accents_give_one_token():
    composed = unicodedata.normalize("NFC", "café")
    decomposed = unicodedata.normalize("NFD", "café")
    assert composed != decomposed
    assert tokenize(composed) == tokenize(decomposed) == ["café"]


def test_combining_marks_stay_in_their_word():
    assert tokenize("हिन्दी फ़िल्म") == ["हिन्दी", "फ़िल्म"]
    assert tokenize("שָׁלוֹם") == ["שָׁלוֹם"]


def test_compatibility_forms_fold():
    assert tokenize("ＧＲＥＡＴ ﬁlm") == ["great", "film"]


def test_emoji_control_characters_and_underscores_separate():
    assert tokenize("good\x00bad\u202egood😀fine_art") == ["good", "bad", "good", "fine", "art"]


def test_nothing_to_tokenize():
    assert tokenize("") == []
    assert tokenize("   \n\t ") == []
    assert tokenize("?!... --- :-)") == []


def test_normalize_is_idempotent():
    text = "Ａ <br /> Don\u2019t"
    assert normalize(normalize(text)) == normalize(text)


def test_token_spans_normalise_in_linear_time_on_text_without_spaces(monkeypatch):
    """explain's spans on CJK text with full-width punctuation (no whitespace to cut at): the
    normalisation work grows with the text's length, not its square."""
    import edge_sentiment.text as text

    calls = {"chars": 0}
    normalize = text.normalize

    def counting(piece, symbols=False):
        calls["chars"] += len(piece)
        return normalize(piece, symbols)

    monkeypatch.setattr(text, "normalize", counting)
    work = []
    for length in (2_000, 8_000):
        calls["chars"] = 0
        sample = ("这部电影非常好看，我很喜欢。" * length)[:length]
        assert [t for t, _, _ in text.token_spans(sample)] == text.tokenize(sample)
        work.append(calls["chars"])
    assert work[1] < 5 * work[0]  # 4x the text: about 4x the work (quadratic would be 16x)


def test_linear_prefix_lengths_equal_the_definition():
    import random

    from edge_sentiment.text import _normalized_prefix_lengths, normalize

    alphabet = list("aeΣσ .") + ["\u0301", "\u0328", "\u1100", "\u1161", "\u11a8", "\u0cc6", "\u0cc2", "\u0cd5", "ﬁ",
                                 "¼", "İ", "\u3099", "か", "\uff76", "\uff9e", "각", "\u0345", "\u212b", "，", "好",
                                 "\u2764", "\ufe0f", "\ufe0e", "\u2122"]
    rng = random.Random(5)
    for _ in range(3000):
        piece = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        for symbols in (False, True):
            assert _normalized_prefix_lengths(piece, symbols) == [len(normalize(piece[:j], symbols))
                                                                  for j in range(len(piece) + 1)], piece


# Tokenizer v2 ("edge-sentiment-v2"): each symbol a token of its own.

def test_v2_makes_each_symbol_a_token_and_v1_does_not():
    text = "loved it😍😍 great👍film ©2020 ★★☆"
    assert tokenize(text, symbols=True) == ["loved", "it", "😍", "😍", "great", "👍", "film", "©", "2020", "★", "★", "☆"]
    assert tokenize(text) == ["loved", "it", "great", "film", "2020"]


def test_v2_drops_presentation_selectors_so_one_symbol_is_one_token():
    assert tokenize("I \u2764\ufe0f it \u2764 \u2764\ufe0e", symbols=True) == ["i", "❤", "it", "❤", "❤"]
    assert tokenize("I \u2764\ufe0f it") == ["i", "\ufe0f", "it"]  # v1: the selector is a combining mark


def test_v2_splits_joined_emoji_and_drops_skin_tones():
    # a skin tone is a modifier (Sk), the joiner a format character: both separate
    assert tokenize("\U0001f44d\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467", symbols=True) == ["👍", "👨", "👩", "👧"]


def test_v2_reads_symbols_after_nfkc_and_only_assigned_ones():
    assert tokenize("good\u2122 30\u2103", symbols=True) == ["goodtm", "30", "°", "c"]  # ™ -> tm, ℃ -> °c
    assert tokenize("\U0001fae8 ok", symbols=True) == ["ok"]  # a Unicode 15 emoji: unassigned in 14.0, a separator
    assert tokenize("a \u2192 b + c \u00a2 ^", symbols=True) == ["a", "b", "c"]  # math, currency, modifier signs


def test_v2_token_spans_point_at_the_symbols():
    from edge_sentiment.text import token_spans

    text = "So good \u2764\ufe0f\U0001f44d\U0001f3fd!"
    spans = token_spans(text, symbols=True)
    assert [token for token, _, _ in spans] == tokenize(text, symbols=True) == ["so", "good", "❤", "👍"]
    assert [text[start:end] for _, start, end in spans] == ["So", "good", "\u2764\ufe0f", "\U0001f44d"]


def test_every_symbol_is_in_planes_0_and_1_where_v2_looks_for_them():
    assert not [code for code in range(0x20000, 0x110000) if unicodedata.category(chr(code)) == "So"]


def test_a_piece_of_letters_and_digits_is_one_token_as_the_pattern_says():
    """The tokenizer's shortcut (a piece for which str.isalnum() holds is one token, no regex) is
    exact: the pattern's word character [^\\W_] is str.isalnum(), code point by code point."""
    import re
    import sys

    word_char = re.compile(r"[^\W_]")
    assert all((word_char.fullmatch(chr(c)) is not None) == chr(c).isalnum() for c in range(sys.maxunicode + 1))
    assert tokenize("재밌다 最高 ١٢٣ x²") == ["재밌다", "最高", "١٢٣", "x2"]
