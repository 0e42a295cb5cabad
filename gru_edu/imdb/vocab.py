"""Words and ids: the tokenizer and the vocabulary behind every IMDB model here.

Word ids follow the Keras conventions (``index_from=3``)::

    0  padding               (PAD)
    1  start of a review     (START)
    2  out of vocabulary     (OOV): a word ranked too low for ``num_words``,
                             ranked in the ``skip_top`` band, or never seen in
                             the training reviews
    3  never used
    4  the most frequent training word ("the"), 5 the second, and so on
       (ties broken alphabetically)

``num_words`` is the id bound: every id is ``< num_words``, so it is also the
``input_dim`` of a ``keras.layers.Embedding``.

Tokenizer (:func:`tokenize`, version :data:`TOKENIZER_VERSION`): lowercase the
text, replace the HTML line breaks (``<br />``) with spaces, then a word is a
maximal run of Unicode letters and digits, with apostrophes allowed *inside*
(``don't``, ``director's``); everything else separates words.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from gru_edu.config import atomic_write

__all__ = ["PAD", "START", "OOV", "INDEX_FROM", "TOKENIZER_VERSION", "tokenize", "Vocabulary"]

PAD, START, OOV, INDEX_FROM = 0, 1, 2, 3
#: Bump when :func:`tokenize` changes: old caches are then ignored.
TOKENIZER_VERSION = 1

_BREAK = re.compile(r"<br\s*/?\s*>", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def tokenize(text: str) -> list[str]:
    """Split a review into lowercase words (the tokenizer behind the data).

    >>> tokenize("I didn't like it.<br /><br />10/10, NOT 'great'!")
    ['i', "didn't", 'like', 'it', '10', '10', 'not', 'great']
    """
    return _WORD.findall(_BREAK.sub(" ", text.lower()))


class Vocabulary:
    """Words ranked by frequency in the training reviews, with Keras ids.

    ``words[k]`` has id ``k + 4`` (``INDEX_FROM + 1``); only ids
    ``< num_words`` are kept. ``encode`` and ``decode`` go between text and
    ids exactly as :func:`load_imdb` encoded the reviews, so a trained model
    can read a review a learner types. Saved as plain JSON next to a model.
    """

    FORMAT = "gru-edu-vocabulary"
    #: What :meth:`decode` writes for the reserved ids.
    MARKERS = {START: "<start>", OOV: "<unk>", INDEX_FROM: "<unused>"}

    def __init__(
        self,
        words: Sequence[str],
        num_words: int | None = None,
        tokenizer_version: int = TOKENIZER_VERSION,
    ) -> None:
        if num_words is None:
            num_words = len(words) + INDEX_FROM + 1
        if num_words < 1:
            raise ValueError(f"num_words must be >= 1 (or None), got {num_words}")
        self.num_words: int = int(num_words)
        self.words: tuple[str, ...] = tuple(words[: max(0, num_words - INDEX_FROM - 1)])
        self.tokenizer_version = int(tokenizer_version)
        self.word_index: dict[str, int] = {
            w: i + INDEX_FROM + 1 for i, w in enumerate(self.words)
        }

    def tokenize(self, text: str) -> list[str]:
        """The words of ``text`` (see :func:`tokenize`)."""
        return tokenize(text)

    def encode(self, text: str) -> list[int]:
        """Ids of a review: ``[START] + one id per word``, unknown words -> OOV."""
        get = self.word_index.get
        return [START] + [get(w, OOV) for w in tokenize(text)]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words for ids; padding (0) is skipped, 1 -> ``<start>``, 2 -> ``<unk>``."""
        out = []
        for i in ids:
            i = int(i)
            if i == PAD:
                continue
            if i in self.MARKERS:
                out.append(self.MARKERS[i])
            elif INDEX_FROM < i < self.num_words:
                out.append(self.words[i - INDEX_FROM - 1])
            else:
                out.append(self.MARKERS[OOV])
        return out

    def id_to_word(self, i: int) -> str:
        """The word (or marker) with id ``i``."""
        return self.decode([i])[0] if i != PAD else "<pad>"

    def __len__(self) -> int:
        return self.num_words

    def __contains__(self, word: object) -> bool:
        return word in self.word_index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return (self.num_words, self.words) == (other.num_words, other.words)

    def __repr__(self) -> str:
        head = ", ".join(self.words[:5])
        return f"Vocabulary(num_words={self.num_words}, words=[{head}, ...])"

    # -- plain JSON, so a saved model carries its vocabulary

    def to_json(self) -> str:
        """The vocabulary as a JSON string (see :meth:`from_json`)."""
        return json.dumps(
            {
                "format": self.FORMAT,
                "version": 1,
                "tokenizer_version": self.tokenizer_version,
                "num_words": self.num_words,
                "pad": PAD,
                "start": START,
                "oov": OOV,
                "index_from": INDEX_FROM,
                "words": list(self.words),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> "Vocabulary":
        """Read what :meth:`to_json` wrote."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != cls.FORMAT:
            raise ValueError(f"not a {cls.FORMAT} JSON document")
        conventions = (data["pad"], data["start"], data["oov"], data["index_from"])
        if conventions != (PAD, START, OOV, INDEX_FROM):
            raise ValueError(f"unsupported id conventions {conventions}")
        version = int(data.get("tokenizer_version", TOKENIZER_VERSION))
        if version != TOKENIZER_VERSION:
            warnings.warn(
                f"vocabulary was built with tokenizer version {version}, this is "
                f"version {TOKENIZER_VERSION}: encoded text may differ",
                stacklevel=2,
            )
        return cls(data["words"], data["num_words"], version)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the JSON to ``path`` (atomically); returns the path."""
        path = Path(path)
        atomic_write(path, lambda f: f.write(self.to_json().encode("utf-8")))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        """Read a vocabulary saved with :meth:`save`."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))
