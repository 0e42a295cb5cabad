"""The tokenizer and Vocabulary of gru_edu.imdb.vocab: ranking, encode and decode, JSON."""


import json

import numpy as np
import pytest
from imdb_archives import expected_ranking, random_reviews

from gru_edu.imdb import START, Vocabulary, pad_sequences, tokenize


def test_tokenizer():
    assert tokenize("I didn't like it.<br /><br />10/10, NOT 'great'!") == [
        "i", "didn't", "like", "it", "10", "10", "not", "great",
    ]
    assert tokenize("well-made<BR/>film's end__here") == [
        "well", "made", "film's", "end", "here",
    ]
    assert tokenize("Amélie, café") == ["amélie", "café"]
    assert tokenize("") == []


def test_frequency_ranking_ties_broken_by_word(generated, load):
    vocab = load.vocab(num_words=None, archive=generated)
    assert list(vocab.words) == expected_ranking(random_reviews())
    assert not any(w.startswith("testonly") for w in vocab.words)


def test_encode_decode_round_trip(tiny, load):
    vocab = load.vocab(num_words=8, archive=tiny)
    assert vocab.num_words == 8 and len(vocab.words) == 4 and len(vocab) == 8
    text = "A GREAT movie<br />with an unseen word, great!"
    ids = vocab.encode(text)
    assert ids[0] == START and all(i < 8 for i in ids)
    want = ["<start>"] + [w if w in vocab else "<unk>" for w in tokenize(text)]
    assert vocab.decode(ids) == want
    assert vocab.decode([0, 0] + ids + [0]) == want  # padding skipped
    assert vocab.decode([3, 10**6]) == ["<unused>", "<unk>"]
    assert vocab.tokenize(text) == tokenize(text)
    assert vocab.id_to_word(4) == vocab.words[0] and vocab.id_to_word(0) == "<pad>"


def test_encode_reproduces_the_data(generated, load):
    """Text -> encode -> pad equals load_imdb's row; texts align with x_test."""
    vocab = load.vocab(num_words=15, archive=generated)
    (x, _), (x_test, y_test) = load.imdb(num_words=15, maxlen=12, archive=generated)
    texts, labels = load.texts(archive=generated)  # same seed (113), same order
    assert np.array_equal(labels, y_test)
    encoded = pad_sequences([vocab.encode(t) for t in texts], 12, padding="post")
    assert np.array_equal(encoded, x_test)
    train_texts, _ = load.texts(archive=generated, split="train")
    encoded = pad_sequences([vocab.encode(t) for t in train_texts], 12, padding="post")
    assert np.array_equal(encoded, x)


def test_vocabulary_json_round_trip(tiny, load, tmp_path):
    vocab = load.vocab(num_words=10, archive=tiny)
    path = vocab.save(tmp_path / "model" / "vocab.json")
    doc = json.loads(path.read_text(encoding="utf-8"))  # plain JSON
    assert doc["num_words"] == 10 and doc["words"] == list(vocab.words)
    again = Vocabulary.load(path)
    assert again == vocab and again.word_index == vocab.word_index
    assert Vocabulary.from_json(vocab.to_json()).encode("great fun") == vocab.encode("great fun")
    with pytest.raises(ValueError, match="gru-edu-vocabulary"):
        Vocabulary.from_json('{"words": []}')
    doc["tokenizer_version"] = 99
    with pytest.warns(UserWarning, match="tokenizer version 99"):
        Vocabulary.from_json(json.dumps(doc))
