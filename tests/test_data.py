import tarfile

import pytest

from edge_sentiment_export.data import DataError, download_imdb, load_imdb
from edge_sentiment_export.train import sample_indices, split_train_validation


def make_tarball(folder, path):
    with tarfile.open(path, "w:gz") as archive:
        archive.add(folder, arcname="aclImdb")
    return path


def test_folder_reads_labeled_reviews_and_skips_unsup_and_feat(tiny_imdb):
    data = load_imdb(tiny_imdb)
    assert len(data.train) == len(data.test) == 80
    assert data.train.labels.count(1) == 40
    assert all("unlabeled" not in t for t in data.train.texts)
    assert data.archive_sha256 is None


def test_tarball_and_folder_and_parent_folder_agree(tiny_imdb, tmp_path):
    tarball = make_tarball(tiny_imdb, tmp_path / "aclImdb_v1.tar.gz")
    from_tar, from_dir, from_parent = load_imdb(tarball), load_imdb(tiny_imdb), load_imdb(tiny_imdb.parent)
    assert from_tar.content_sha256 == from_dir.content_sha256 == from_parent.content_sha256
    assert from_tar.train.texts == from_dir.train.texts and from_tar.test.labels == from_dir.test.labels
    assert len(from_tar.archive_sha256) == 64


def test_order_is_negatives_then_positives(tiny_imdb):
    labels = load_imdb(tiny_imdb).train.labels
    assert labels == sorted(labels)


def test_only_the_requested_split_is_read(tiny_imdb):
    data = load_imdb(tiny_imdb, splits=("test",))
    assert len(data.train) == 0 and len(data.test) == 80


@pytest.mark.parametrize("make", ["missing", "empty_dir", "not_a_tar"])
def test_bad_sources_give_a_clear_error(tmp_path, make):
    target = tmp_path / "source"
    if make == "empty_dir":
        target.mkdir()
    elif make == "not_a_tar":
        target.write_bytes(b"this is not an archive")
    with pytest.raises(DataError, match=r"does not exist|no aclImdb|not a readable tar"):
        load_imdb(target)


def test_download_fails_clearly_offline(tmp_path):
    # A port on the loopback address that nothing listens on: refused at once.
    with pytest.raises(DataError, match="could not download"):
        download_imdb(tmp_path, url="http://127.0.0.1:9/aclImdb_v1.tar.gz")
    assert list(tmp_path.iterdir()) == []


def test_download_refuses_a_wrong_checksum(tmp_path):
    source = tmp_path / "served.tar.gz"
    source.write_bytes(b"not the real dataset")
    with pytest.raises(DataError, match="expected"):
        download_imdb(tmp_path / "dest", url=source.as_uri(), sha256="0" * 64)
    assert not (tmp_path / "dest" / "served.tar.gz").exists()


def test_validation_split_is_shuffled_and_seeded():
    import numpy as np

    x = np.arange(1000).reshape(-1, 1)
    y = np.array([0] * 500 + [1] * 500)  # ordered like aclImdb: all negatives first
    _, _, _, y_val = split_train_validation(x, y, 0.2, seed=1)
    assert 0.35 < y_val.mean() < 0.65
    again = split_train_validation(x, y, 0.2, seed=1)
    assert again[3].tolist() == y_val.tolist()


def test_sample_indices_is_a_seeded_subset():
    a, b = sample_indices(100, 10, seed=3), sample_indices(100, 10, seed=3)
    assert a.tolist() == b.tolist() and len(set(a.tolist())) == 10
    assert sample_indices(5, None, seed=3).tolist() == [0, 1, 2, 3, 4]


def test_real_labeled_tarball(real_tarball):
    data = load_imdb(real_tarball)
    assert len(data.train) == len(data.test) == 25_000
    assert sum(data.train.labels) == sum(data.test.labels) == 12_500
    assert data.archive_sha256 == "be68b82391f564d261cacaa6fd20b9a19652c4584ae814e73b3dfb4a537a894a"


@pytest.mark.parametrize(
    "name, kind",
    [
        ("../evil.txt", "file"),
        ("/etc/evil.txt", "file"),
        ("aclImdb/train/pos/../../../evil.txt", "file"),
        ("aclImdb/train/pos/9_9.txt", "symlink_out"),
        ("aclImdb/train/pos/8_8.txt", "hardlink_out"),
    ],
)
def test_unsafe_archives_are_refused(tiny_imdb, tmp_path, name, kind):
    import io

    tarball = tmp_path / "evil.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(tiny_imdb, arcname="aclImdb")
        member = tarfile.TarInfo(name)
        if kind == "file":
            payload = b"a great film"
            member.size = len(payload)
            archive.addfile(member, io.BytesIO(payload))
        else:
            member.type = tarfile.SYMTYPE if kind == "symlink_out" else tarfile.LNKTYPE
            member.linkname = "/etc/passwd" if kind == "symlink_out" else "../../../../etc/passwd"
            archive.addfile(member)
    with pytest.raises(DataError, match="unsafe member"):
        load_imdb(tarball)
