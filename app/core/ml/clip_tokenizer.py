"""CLIP's byte-level BPE tokenizer without torch, so the ONNX runtime can encode queries in the base install.

A port of OpenAI CLIP's `SimpleTokenizer` (MIT License, Copyright (c) 2021 OpenAI), as vendored by open_clip,
returning numpy arrays. open_clip's own module imports torch at the top, so it cannot be used here. The merges
file is the one saved beside the exported ONNX towers. `ftfy` and `regex` are used when installed (they come with
the `ml` extra) to match open_clip exactly; without them the stdlib fallbacks agree on ordinary text.
"""

from __future__ import annotations

import gzip
import html
import string
from functools import lru_cache
from pathlib import Path

import numpy as np

try:  # exact Unicode classes (\p{L}, \p{N}) as in open_clip
    import regex as _re

    _LETTERS, _NUMBER, _OTHER = r"[\p{L}]+", r"[\p{N}]", r"[^\s\p{L}\p{N}]+"
except ImportError:  # stdlib approximation: letters = word chars minus digits and underscore
    import re as _re

    _LETTERS, _NUMBER, _OTHER = r"[^\W\d_]+", r"\d", r"(?:[^\s\w]|_)+"

try:
    import ftfy as _ftfy
except ImportError:
    _ftfy = None

DEFAULT_CONTEXT_LENGTH = 77


@lru_cache()
def bytes_to_unicode() -> dict[int, str]:
    """Reversible map from bytes to printable unicode characters, so BPE never sees whitespace or controls."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def _pairs(word: tuple[str, ...]) -> set[tuple[str, str]]:
    return {(a, b) for a, b in zip(word, word[1:])}


def _basic_clean(text: str) -> str:
    if _ftfy is not None:
        text = _ftfy.fix_text(text)
    return html.unescape(html.unescape(text)).strip()


def _whitespace_clean(text: str) -> str:
    return " ".join(text.split()).strip()


def _clean(text: str, mode: str) -> str:
    text = _basic_clean(text)
    if mode == "lower":
        return _whitespace_clean(text).lower()
    if mode == "whitespace":
        return _whitespace_clean(text)
    if mode == "canonicalize":
        text = text.replace("_", " ").translate(str.maketrans("", "", string.punctuation)).lower()
        return " ".join(text.split()).strip()
    raise ValueError(f"unknown tokenizer clean mode {mode!r}")


class ClipTokenizer:
    def __init__(self, bpe_path: Path | str, *, context_length: int = DEFAULT_CONTEXT_LENGTH, clean: str = "lower"):
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(bpe_path).read().decode("utf-8").split("\n")
        merges = [tuple(m.split()) for m in merges[1 : 49152 - 256 - 2 + 1]]
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab] + ["".join(m) for m in merges]
        special = ["<start_of_text>", "<end_of_text>"]
        vocab.extend(special)
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.bpe_ranks = {m: i for i, m in enumerate(merges)}
        self.cache = {t: t for t in special}
        self.pat = _re.compile(
            "|".join(special) + rf"""|'s|'t|'re|'ve|'m|'ll|'d|{_LETTERS}|{_NUMBER}|{_OTHER}""", _re.IGNORECASE
        )
        self.sot_token_id = self.encoder["<start_of_text>"]
        self.eot_token_id = self.encoder["<end_of_text>"]
        self.context_length = context_length
        self.clean = clean

    def bpe(self, token: str) -> str:
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = _pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            merged: list[str] = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    merged.extend(word[i:])
                    break
                merged.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
            if len(word) == 1:
                break
            pairs = _pairs(word)
        result = " ".join(word)
        self.cache[token] = result
        return result

    def encode(self, text: str) -> list[int]:
        tokens: list[int] = []
        for piece in _re.findall(self.pat, _clean(text, self.clean)):
            piece = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            tokens.extend(self.encoder[t] for t in self.bpe(piece).split(" "))
        return tokens

    def __call__(self, texts: str | list[str]) -> np.ndarray:
        """Token ids padded with zeros to the context length; too-long texts are cut and end with EOT."""
        if isinstance(texts, str):
            texts = [texts]
        result = np.zeros((len(texts), self.context_length), dtype=np.int64)
        for row, text in enumerate(texts):
            tokens = [self.sot_token_id] + self.encode(text) + [self.eot_token_id]
            if len(tokens) > self.context_length:
                tokens = tokens[: self.context_length]
                tokens[-1] = self.eot_token_id
            result[row, : len(tokens)] = tokens
        return result
