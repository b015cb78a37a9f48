"""Training from the user's own files: labels from the data, the positive class, refusals, an export."""

import csv
import json
import random
import re
import shutil
import subprocess

import numpy as np
import pytest

from conftest import error_line, run_cli
from edge_sentiment.cli_input import InputError
from edge_sentiment.labels import LabelRules
from edge_sentiment_export.data import DataError
from edge_sentiment_export.labeled_files import load_labeled_files

POSITIVE = ["great", "lovely", "superb", "fun", "works", "fast"]
NEGATIVE = ["broken", "slow", "awful", "refund", "dull", "waste"]
FILLER = ["the", "it", "was", "product", "a", "and", "this", "very"]


def rows(n: int, labels=("0", "1"), seed: int = 0):
    rng = random.Random(seed)
    for i in range(n):
        positive = i % 2 == 1
        words = [rng.choice(POSITIVE if positive else NEGATIVE) if rng.random() < 0.35 else rng.choice(FILLER)
                 for _ in range(rng.randint(3, 14))]
        yield " ".join(words), labels[positive]


def write_csv(path, data, header=("sentence", "label"), delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(data)
    return path


def quiet(message):
    pass


def test_labels_are_kept_as_written_and_the_positive_class_follows_the_rule(tmp_path):
    data = load_labeled_files(str(write_csv(tmp_path / "t.csv", rows(200, ("neg", "pos")))), log=quiet)
    assert data.labels == ("neg", "pos")
    spam = load_labeled_files(str(write_csv(tmp_path / "s.csv", rows(200, ("spam", "ham")))), log=quiet)
    assert spam.labels == ("ham", "spam")  # neither reads as positive: the second in sorted order
    chosen = load_labeled_files(str(tmp_path / "s.csv"), positive="ham", log=quiet)
    assert chosen.labels == ("spam", "ham")
    assert sum(chosen.train.labels) + sum(chosen.validation.labels) + sum(chosen.test.labels) == 100


def test_stratified_test_and_validation_splits_are_carved_when_none_are_given(tmp_path):
    messages = []
    data = load_labeled_files(str(write_csv(tmp_path / "t.tsv", rows(300), delimiter="\t")), log=messages.append)
    assert len(data.test) == 30 and sum(data.test.labels) == 15
    assert len(data.validation) == 30 and sum(data.validation.labels) == 15 and len(data.train) == 240
    assert any("no --test file: 30 rows of" in m and "held out as the test split" in m for m in messages)
    assert any("no --validation file: 30 rows of" in m and "held out as the validation split" in m for m in messages)
    assert any("texts from column 'sentence', labels from column 'label'" in m for m in messages)


@pytest.mark.parametrize("data, message", [
    ([("a b", "1")] * 120, "the label column ('label') holds 1 label ('1' (120)); a model needs examples of at least "
                           "two labels"),
    ([("a b", str(i % 3)) for i in range(120)], "too few examples to train and check a model ('0': 40, '1': 40, '2': 40); "
                                                 "each label needs at least 50: add examples, drop labels this rare with "
                                                 "--min-count 50, or merge them with --label-map"),
    ([("a b", str(i % 2)) for i in range(60)], "too few examples to train and check a model ('0': 30, '1': 30)"),
    ([], "t.csv has no labelled rows; a model needs examples of at least two labels"),
])
def test_label_refusals(tmp_path, data, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_labeled_files(str(write_csv(tmp_path / "t.csv", data)), log=quiet)


def test_empty_texts_are_skipped_with_a_count_or_refused_when_all_are(tmp_path):
    messages = []
    data = [*rows(200), ("", "1"), ("  ", "0")]
    load_labeled_files(str(write_csv(tmp_path / "t.csv", data)), log=messages.append)
    assert any("2 rows with an empty text were skipped" in m for m in messages)
    with pytest.raises(DataError, match="all 120 texts are empty"):
        load_labeled_files(str(write_csv(tmp_path / "e.csv", [("", str(i % 2)) for i in range(120)])), log=quiet)


def test_a_test_file_with_an_unknown_label_is_refused(tmp_path):
    train = write_csv(tmp_path / "train.csv", rows(200))
    test = write_csv(tmp_path / "test.csv", [("good", "1"), ("bad", "maybe")])
    with pytest.raises(DataError, match="label\\(s\\) 'maybe' do not occur in"):
        load_labeled_files(str(train), test=str(test), log=quiet)


def test_jsonl_lines_that_are_not_objects_are_refused(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a", "label": 1}\n[1, 2]\n')
    result = run_cli("export", "--train", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and b"line 2: expected a JSON object, got an array" in result.stderr


@pytest.mark.slow
def test_export_and_use_a_model_trained_on_a_csv(tmp_path):
    pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")
    train = write_csv(tmp_path / "train.csv", rows(400, ("spam", "ham"), seed=1), header=("id_text", "verdict"))
    out = tmp_path / "bundle"
    result = run_cli("export", "--train", str(train), "--text-column", "id_text", "--label-column", "verdict",
                     "--positive", "ham", "--preset", "quick", "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["labels"] == ["spam", "ham"]
    # 20 distinct words, all seen often; texts of 3-14 tokens (+ the start id), so the floor of 16 ids
    fitted, config = manifest["training"]["fitted_to_data"], manifest["training"]["config"]
    assert fitted["num_words"]["value"] == config["num_words"] == 3 + len(POSITIVE + NEGATIVE + FILLER)
    assert fitted["maxlen"]["value"] == config["maxlen"] == manifest["preprocessing"]["maxlen"] == 16
    for backend in ("onnx", "tflite", "numpy"):
        assert manifest["metrics"]["parity_vs_keras"][backend]["max_abs_diff"] <= 1e-5
    assert manifest["format_version"] == 3 and manifest["task"] == "binary" and "conformance" in manifest["files"]
    # (preset "quick" is not refit: its figures are the exported model's, on test rows it never saw)
    assert "refit" not in manifest["training"] and manifest["metrics"]["test"]["onnx"]["texts"] == 40
    verified = run_cli("verify", "--model", str(out))
    assert verified.returncode == 0, verified.stderr.decode()
    predicted = json.loads(run_cli("predict", "--model", str(out), "--json", "lovely fun product").stdout)
    assert predicted["label"] in ("spam", "ham")
    test = write_csv(tmp_path / "test.csv", rows(100, ("spam", "ham"), seed=2), header=("text", "verdict"))
    evaluated = run_cli("evaluate", "--model", str(out), "--file", str(test), "--label-column", "verdict", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout.splitlines()[0])["texts"] == 100


def write_folder(root, labeled):
    for number, (text, label) in enumerate(labeled):
        (root / label).mkdir(parents=True, exist_ok=True)
        (root / label / f"{number}_1.txt").write_text(text, encoding="utf-8")
    return root


def test_a_folder_with_one_subfolder_per_label(tmp_path):
    messages = []
    root = write_folder(tmp_path / "reviews", rows(200, ("bad", "good")))
    (root / "notes.md").write_text("not a review")  # files beside the subfolders are not texts
    data = load_labeled_files(str(root), log=messages.append)
    assert data.labels == ("bad", "good") and len(data.train) + len(data.validation) + len(data.test) == 200
    assert f"{root}: texts from the .txt files, labels from their subfolders" in messages
    from edge_sentiment.tables import read_labeled

    texts, labels = read_labeled(str(root), None, None, None, ("bad", "good"))
    assert len(texts) == 200 and sum(labels) == 100


def test_a_folder_with_three_subfolders_or_a_bad_file_is_refused(tmp_path):
    root = write_folder(tmp_path / "r", [*rows(120, ("neg", "pos")), ("x", "unsup")])
    with pytest.raises(DataError, match=r"too few examples to train and check a model \('unsup': 1\)"):
        load_labeled_files(str(root), log=quiet)
    shutil.rmtree(root / "unsup")
    (root / "pos" / "bad.txt").write_bytes(b"caf\xe9")
    with pytest.raises(InputError, match=re.escape(f"{root / 'pos' / 'bad.txt'}: not valid UTF-8 (byte 0xe9 at offset 3)")):
        load_labeled_files(str(root), log=quiet)


def test_invalid_utf8_in_a_training_file_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"text,label\ngood,1\ncaf\xe9,0\n")
    result = run_cli("export", "--train", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.decode().strip().splitlines()[-1] == (
        f"error: {path}, line 3: not valid UTF-8 (byte 0xe9 at column 4); convert the file to UTF-8 from the encoding it "
        "was saved in, e.g. iconv -f cp1252 -t utf-8 (Western European; cp949: Korean, cp932: Japanese, gb18030 or big5: Chinese)"
    )


#: Short reviews in three languages, to write in their legacy encodings.
REVIEWS = {
    "Korean": ["정말 재미있어요", "최악의 영화", "배우 연기 좋았다", "시간 아까움", "다시 보고 싶은 영화입니다", "스토리가 지루했어요",
               "음악이 정말 좋았어요", "아이와 함께 봤습니다", "기대 이하였어요", "눈물나는 영화"],
    "Japanese": ["この映画は本当に面白かった", "最悪の映画でした。時間の無駄。", "まあまあかな", "俳優の演技が素晴らしい", "つまらない",
                 "もう一度見たい", "音楽がとても良かった", "子供と一緒に見ました", "期待外れでした", "泣ける映画です"],
    "Chinese": ["这部电影非常好看", "太无聊了", "演员演得很好，推荐！", "剧情很一般", "浪费时间", "还会再看一遍", "音乐非常好听",
                "和孩子一起看的", "不如预期", "感人的电影"],
}


@pytest.mark.parametrize(("language", "encoding"), [("Korean", "cp949"), ("Japanese", "cp932"), ("Chinese", "gb18030")])
def test_a_file_in_a_legacy_asian_encoding_is_named_for_it(tmp_path, language, encoding):
    """Spreadsheets on Korean, Japanese and Chinese systems save CSV files in these encodings:
    the advice names the one to convert from (Latin-1 would turn the texts into garbage), and
    the command that follows it reads the file."""
    path = tmp_path / "t.tsv"
    lines = [f"{text}\t{index % 2}\n" for index, text in enumerate(REVIEWS[language] * 6)]
    path.write_bytes(("text\tlabel\n" + "".join(lines)).encode(encoding))
    result = run_cli("predict", "--file", str(path))
    assert result.returncode == 1
    assert error_line(result).endswith(f"; it looks like {language} in {encoding}: convert it with iconv -f {encoding} -t utf-8")
    assert "--on-error" not in error_line(result)  # skipping lines would drop every one of them
    converted = tmp_path / "utf8.tsv"
    iconv = subprocess.run(["iconv", "-f", encoding, "-t", "utf-8", str(path)], capture_output=True, check=True)
    converted.write_bytes(iconv.stdout)
    assert converted.read_text(encoding="utf-8").splitlines()[1] == f"{REVIEWS[language][0]}\t0"
    read = run_cli("predict", "--file", str(converted), "--format", "tsv")
    assert read.returncode == 0 and len(read.stdout.decode().splitlines()) == 1 + len(lines), read.stderr.decode()


def test_a_few_bytes_of_a_legacy_encoding_get_the_list_of_encodings(tmp_path):
    """Too little text to tell Japanese from Korean: no guess, the usual encodings listed."""
    path = tmp_path / "t.tsv"
    path.write_bytes(("text\tlabel\n最悪の映画でした\t0\n").encode("cp932"))
    result = run_cli("predict", "--file", str(path))
    assert "e.g. iconv -f cp1252 -t utf-8 (Western European; cp949: Korean, cp932: Japanese" in error_line(result)


def fit(texts, fields=("num_words", "maxlen"), **preset_fields):
    from edge_sentiment_export.config import get_preset
    from edge_sentiment_export.vocab import fit_to_data, word_counts

    config = get_preset("default").with_overrides(**preset_fields)
    return fit_to_data(config, *word_counts(texts), fields)


def test_vocabulary_and_length_follow_the_data():
    texts = [" ".join(f"w{i}" for i in range(n % 40)) + f" once{n}" for n in range(1000)]  # w0..w38 repeat; once* do not
    config, record = fit(texts)
    assert config.num_words == record["num_words"]["value"] == 3 + 39
    lengths = sorted(n % 40 + 1 + 1 for n in range(1000))  # tokens + the start id
    assert config.maxlen == record["maxlen"]["value"] == lengths[int(0.99 * 999)] == 41


def test_the_preset_caps_what_is_fitted_and_given_settings_are_kept():
    long_texts = [" ".join(f"w{(i * 7 + n) % 3000}" for i in range(800)) for n in range(60)]
    config, record = fit(long_texts, num_words=1000, maxlen=300)
    assert (config.num_words, config.maxlen) == (1000, 300)
    config, record = fit(["a b", "a b c"] * 50, fields=("num_words",), maxlen=77)
    assert (config.num_words, config.maxlen, list(record)) == (6, 77, ["num_words"])
    config, _ = fit(["a"] * 100)
    assert config.maxlen == 16  # the floor: at least 16 ids, and the RNN's window


def test_short_texts_are_read_whole_by_the_rnn():
    from edge_sentiment_export.vocab import WHOLE_TEXT_RNN_MAXLEN

    short = [" ".join(["w"] * (n % 30)) for n in range(200)]
    config, record = fit(short, fields=("maxlen", "rnn_window"))
    assert config.maxlen <= WHOLE_TEXT_RNN_MAXLEN and config.rnn_window == record["rnn_window"]["value"] == 0
    long = [" ".join(["w"] * (n % 300)) for n in range(200)]
    config, record = fit(long, fields=("maxlen", "rnn_window"))
    assert config.maxlen > WHOLE_TEXT_RNN_MAXLEN and config.rnn_window == 8 and "rnn_window" not in record


def test_the_bag_prior_follows_the_median_length_up_to_the_presets():
    texts = [" ".join(["w"] * n) for n in (4, 10, 12, 30, 500)]
    config, record = fit(texts, fields=("bag_prior",))
    assert config.bag_prior == record["bag_prior"]["value"] == 12
    config, _ = fit([" ".join(["w"] * 400)] * 3, fields=("bag_prior",))
    assert config.bag_prior == 120  # the default preset's
    config, record = fit(texts, fields=("bag_prior",), bag_prior=0.0)
    assert config.bag_prior == 0 and record == {}  # a model without a prior keeps none


def test_label_rules_map_and_drop_what_files_write(tmp_path):
    stars = [(f"text {i}", str(1 + i % 5)) for i in range(500)]
    messages = []
    rules = LabelRules.parse(["1,2=negative", "4,5=positive"], ["3"])
    data = load_labeled_files(str(write_csv(tmp_path / "stars.csv", stars)), log=messages.append, rules=rules)
    assert data.labels == ("negative", "positive") and len(data.train) + len(data.test) + len(data.validation) == 400
    assert any("100 rows left out (--drop-label)" in m for m in messages)
    assert data.describe()["label_rules"] == {"map": {"1": "negative", "2": "negative", "4": "positive",
                                                      "5": "positive"}, "dropped": ["3"]}


def test_min_count_drops_rare_labels(tmp_path):
    data_rows = [(f"text {i}", "pos" if i % 2 else "neg") for i in range(200)] + [("odd one", "other")] * 3
    messages = []
    data = load_labeled_files(str(write_csv(tmp_path / "t.csv", data_rows)), log=messages.append, min_count=10)
    assert data.labels == ("neg", "pos")
    assert any("--min-count 10: dropping the rows of 1 label" in m and "'other' (3)" in m for m in messages)


@pytest.mark.parametrize("spec, message", [
    ("1,2", "--label-map '1,2': write VALUES=LABEL"),
    ("1,,2=neg", "has an empty value"),
    ("=neg", "write VALUES=LABEL"),
])
def test_malformed_label_maps_are_refused(spec, message):
    from edge_sentiment.labels import LabelError, LabelRules

    with pytest.raises(LabelError, match=re.escape(message)):
        LabelRules.parse([spec])
    with pytest.raises(LabelError, match="maps '1' to both 'a' and 'b'"):
        LabelRules.parse(["1=a", "1,2=b"])


def test_several_values_after_one_label_map_are_answered_with_the_repeated_form(tmp_path):
    """``--label-map "1,2=negative" "4,5=positive"`` (one option, two values) is refused before any
    file is read, with the command written the way it works."""
    result = run_cli("export", "--train", str(tmp_path / "absent.csv"), "--label-map", "1,2=negative", "4,5=positive",
                     "--drop-label", "3")
    error = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in error
    assert ("error: --label-map takes one value; repeat it for each: --label-map 1,2=negative --label-map 4,5=positive"
            in error)
    other = run_cli("export", "--train", str(tmp_path / "absent.csv"), "stray")
    assert other.returncode == 2 and "unexpected extra argument(s) (stray)" in other.stderr.decode()


def test_fasttext_files_are_read_and_several_labels_make_a_multilabel_file(tmp_path):
    source = tmp_path / "train.txt"
    source.write_text("".join(f"__label__{'pos' if i % 2 else 'neg'} text number {i}\n" for i in range(200)))
    data = load_labeled_files(str(source), log=quiet)
    assert data.labels == ("neg", "pos") and data.task == "binary" and data.train.texts[0].startswith("text number")
    source.write_text("".join(f"__label__{'pos' if i % 2 else 'neg'}{' __label__funny' * (i % 3 == 0)} text {i}\n"
                              for i in range(300)))
    data = load_labeled_files(str(source), log=quiet)
    assert data.task == "multilabel" and data.labels == ("funny", "neg", "pos")
    assert (0, 1) in data.train.labels + data.test.labels + data.validation.labels
    with pytest.raises(DataError, match="--task multiclass takes one label per row, but some rows hold several"):
        load_labeled_files(str(source), log=quiet, task="multiclass")


def star_rows(n: int, seed: int):
    """Star ratings 1-5 written as numbers: 1-2 read negative, 4-5 positive, 3 either."""
    rng = random.Random(seed)
    for text, positive in rows(n, (0, 1), seed):
        yield text, str(rng.choice((4, 5)) if positive else rng.choice((1, 2))) if rng.random() > 0.2 else "3"


def test_a_star_rating_file_trained_through_a_label_map_and_evaluated_with_it(tmp_path):
    pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")
    train = write_csv(tmp_path / "stars.csv", star_rows(500, seed=1), header=("review", "stars"))
    out = tmp_path / "bundle"
    result = run_cli("export", "--train", str(train), "--label-map", "1,2=negative", "--label-map", "4,5=positive",
                     "--drop-label", "3", "--preset", "quick", "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert "rows left out (--drop-label)" in result.stderr.decode()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["labels"] == ["negative", "positive"]
    assert manifest["dataset"]["label_rules"]["dropped"] == ["3"]
    assert manifest["training"]["fitted_to_data"]["class_weight"]["value"] == "none"  # balanced enough: one fit
    test = write_csv(tmp_path / "test.csv", star_rows(100, seed=2), header=("review", "stars"))
    evaluated = run_cli("evaluate", "--model", str(out), "--file", str(test), "--backend", "onnx", "--json")
    assert evaluated.returncode == 0, evaluated.stderr.decode()
    report = json.loads(evaluated.stdout)
    assert report["texts"] == sum(1 for _, stars in star_rows(100, seed=2) if stars != "3")
    assert report["accuracy"] > report["majority_baseline"] + 0.15  # it learnt the mapped labels
    bad = run_cli("export", "--train", str(train), "--label-map", "1,2", "--out", str(tmp_path / "other"))
    assert bad.returncode == 2 and "--label-map '1,2': write VALUES=LABEL" in bad.stderr.decode()


def test_class_weight_is_chosen_on_validation_for_imbalanced_files(tmp_path):
    pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")
    rare = [row for row in rows(1000, ("ham", "spam"), seed=3) if row[1] == "ham" or random.Random(row[0]).random() < 0.18]
    train = write_csv(tmp_path / "imbalanced.csv", rare)
    out = tmp_path / "bundle"
    result = run_cli("export", "--train", str(train), "--preset", "quick", "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    record = json.loads((out / "manifest.json").read_text())["training"]["fitted_to_data"]["class_weight"]
    accuracy, macro_f1 = record["validation_accuracy"], record["validation_macro_f1"]
    assert set(accuracy) == set(macro_f1) == {"none", "balanced"}
    gain = accuracy["balanced"] + macro_f1["balanced"] - accuracy["none"] - macro_f1["none"]
    assert record["value"] == ("balanced" if record["gain_t"] >= 1 else "none") and gain * record["gain_t"] >= 0
    assert record["rarest_class_share"] < 1 / 3
    config = json.loads((out / "manifest.json").read_text())["training"]["config"]
    assert config["class_weight"] == record["value"]
    given = run_cli("export", "--train", str(train), "--preset", "quick", "--class-weight", "heavy", "--out", str(out))
    assert given.returncode == 2 and "--class-weight must be one of: auto, none, balanced" in given.stderr.decode()


def test_feature_weights_are_refused_where_they_cannot_apply(tmp_path):
    train = write_csv(tmp_path / "train.csv", rows(40, ("ham", "spam"), seed=4))
    for option, message in ((["--feature-weights", "idf"], "--feature-weights must be one of: auto, none, log-count-ratio"),
                            (["--feature-weights", "log-count-ratio", "--preset", "quick"],
                             "feature_weights needs head 'mean_with_bag'")):
        result = run_cli("export", "--train", str(train), *option, "--out", str(tmp_path / "bundle"))
        assert result.returncode == 2 and message in result.stderr.decode(), result.stderr.decode()
        assert not (tmp_path / "bundle").exists()


def test_a_csv_file_separated_by_semicolons_is_read_and_predicted_as_written(tmp_path):
    """Spreadsheets in many European locales save CSV with ';' between fields: a header that
    splits only at semicolons sets the delimiter for reading, and predict writes it back so."""
    path = write_csv(tmp_path / "t.csv", [(f"{text}; {i}", label) for i, (text, label) in enumerate(rows(200))], delimiter=";")
    messages = []
    data = load_labeled_files(str(path), log=messages.append)
    assert data.labels == ("0", "1") and len(data.train) + len(data.validation) + len(data.test) == 200
    assert f"{path}: texts from column 'sentence', labels from column 'label' (fields separated by ';')" in messages
    result = run_cli("predict", "--file", str(path))
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 0 and lines[0] == "sentence;label;predicted_label;score" and len(lines) == 201
    assert next(csv.reader(lines[1:2], delimiter=";"))[0].endswith("; 0")  # the field's own ';' kept, quoted


def test_labels_that_differ_only_in_case_are_named_with_the_merge(tmp_path):
    data = [(text, label.upper() if i % 3 == 0 and label == "pos" else label)
            for i, (text, label) in enumerate(rows(300, ("neg", "pos")))]
    messages = []
    first = load_labeled_files(str(write_csv(tmp_path / "t.csv", data)), log=messages.append)
    assert first.labels == ("POS", "neg", "pos")
    assert any(m.endswith("labels 'pos' (100) and 'POS' (50) differ only in case; if they are one label, merge them with "
                          "--label-map POS=pos") for m in messages), messages
    merged = load_labeled_files(str(tmp_path / "t.csv"), log=quiet, rules=LabelRules.parse(["POS=pos"], []))
    assert merged.labels == ("neg", "pos")


def test_labels_joined_by_another_separator_get_a_note(tmp_path):
    joined = ("joy, love", "joy", "love, surprise")
    data = [(text, "anger" if label == "0" else joined[i % 3]) for i, (text, label) in enumerate(rows(300))]
    messages = []
    load_labeled_files(str(write_csv(tmp_path / "t.csv", data)), log=messages.append)
    assert any("hold ','; if a row may hold several labels, pass --label-separator ," in m for m in messages), messages
    read = load_labeled_files(str(tmp_path / "t.csv"), log=quiet, separator=",")
    assert read.task == "multilabel" and read.labels == ("anger", "joy", "love", "surprise")


def test_a_test_file_may_spell_the_training_files_numbers_otherwise(tmp_path):
    train = write_csv(tmp_path / "train.csv", [(text, f"{float(label)}") for text, label in rows(300)])
    test = write_csv(tmp_path / "test.csv", rows(60, seed=1))
    data = load_labeled_files(str(train), test=str(test), log=quiet)
    assert data.labels == ("0.0", "1.0") and sorted(data.test.labels) == [0] * 30 + [1] * 30


def test_rows_without_a_label_are_left_out_and_counted(tmp_path):
    """An empty label field (a CSV), null or an empty list (JSON Lines) is a row nobody labelled:
    left out with a count, as empty texts are; a label column empty everywhere is refused."""
    data = [(text, "" if i % 10 == 0 else label) for i, (text, label) in enumerate(rows(300))]
    messages = []
    loaded = load_labeled_files(str(write_csv(tmp_path / "t.csv", data)), log=messages.append)
    assert len(loaded.train) + len(loaded.validation) + len(loaded.test) == 270
    assert f"warning: {tmp_path / 't.csv'}: 30 rows without a label were left out" in messages
    lines = [json.dumps({"text": text, "labels": None if i % 3 == 0 else [] if i % 3 == 1 else [label]})
             for i, (text, label) in enumerate(rows(450))]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    messages = []
    loaded = load_labeled_files(str(tmp_path / "t.jsonl"), log=messages.append)
    assert len(loaded.train) + len(loaded.validation) + len(loaded.test) == 150
    assert any(m.endswith("300 rows without a label were left out") for m in messages), messages
    write_csv(tmp_path / "none.csv", [(text, "") for text, _ in rows(100)])
    with pytest.raises(DataError, match=r"none of its 100 rows has a label in 'label'; is it the label column\? \(--label-column\)"):
        load_labeled_files(str(tmp_path / "none.csv"), log=quiet)


def test_balanced_weights_must_beat_none_by_more_than_the_validation_rows_chance():
    pytest.importorskip("tensorflow", reason="the rule lives in the training stage")
    from edge_sentiment_export.train import CLASS_WEIGHT_MIN_T, _paired_gain_t

    rng = np.random.default_rng(0)
    truth = (rng.random(900) < 0.3).astype(np.int64)
    unweighted = np.where(rng.random(900) < 0.8, truth, 1 - truth)
    assert _paired_gain_t(truth, unweighted, unweighted, 2, 1234) == 0.0
    mended = np.where((unweighted != truth) & (truth == 1), truth, unweighted)  # every rare row's miss put right
    assert _paired_gain_t(truth, unweighted, mended, 2, 1234) >= CLASS_WEIGHT_MIN_T
    wrong, right = np.flatnonzero(unweighted != truth), np.flatnonzero(unweighted == truth)
    few = unweighted.copy()
    few[wrong[:5]] = truth[wrong[:5]]  # five rows put right, four put wrong, of 900: within chance
    few[right[:4]] = 1 - truth[right[:4]]
    assert 0 < _paired_gain_t(truth, unweighted, few, 2, 1234) < CLASS_WEIGHT_MIN_T
    assert _paired_gain_t(truth, mended, unweighted, 2, 1234) <= -CLASS_WEIGHT_MIN_T
