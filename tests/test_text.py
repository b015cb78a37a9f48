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
