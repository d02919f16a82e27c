"""Tiny manifests for `sshr analyze` tests (prepare is written in parallel; this is its contract, no more).

- cv_manifests: the session `cv_corpus` release -> DATA/<lang>/<split>.jsonl, character units.
- tone_corpus: noise-and-tone waves whose distribution does not depend on the language; every
  file has a different length in samples, so a wrapper model can tell each row's language.
- PlantedEncoder: a tiny random encoder plus a per-language offset that only layer k carries.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from sshr_cli.audio import audio_info
from sshr_cli.data.manifest import manifest_path
from sshr_cli.io import write_jsonl
from sshr_cli.text import normalize
from sshr_cli.text.units import text_to_chars


def cv_manifests(cv_root: Path, data_dir: Path) -> Path:
    for lang_dir in sorted(p for p in Path(cv_root).iterdir() if p.is_dir()):
        for split in ("train", "dev", "test"):
            with open(lang_dir / f"{split}.tsv", encoding="utf-8", newline="") as f:
                rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
            write_jsonl(manifest_path(data_dir, lang_dir.name, split), [_cv_row(lang_dir, r) for r in rows])
    return data_dir


def _cv_row(lang_dir: Path, r: dict) -> dict:
    lang = lang_dir.name
    audio = (lang_dir / "clips" / r["path"]).resolve()
    text = normalize(r["sentence"], lang)
    return {"id": Path(r["path"]).stem, "audio_filepath": str(audio), "duration": audio_info(audio).duration_s,
            "text": text, "raw_text": r["sentence"], "lang": lang, "speaker": r["client_id"],
            "units": " ".join(text_to_chars(text))}


def tone_corpus(data_dir: Path, langs=("aa", "bb"), speakers=6, utts_per_speaker=4, seed=0) -> dict[int, str]:
    """Write waves + manifests; return {length in samples: lang}."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    length_to_lang, rows, n = {}, {lang: [] for lang in langs}, 0
    for s in range(speakers):
        for u in range(utts_per_speaker):
            for lang in langs:  # interleaved, so length says nothing about the language
                length = 8000 + 97 * n
                t = np.arange(length) / 16000
                wave = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 400) * t) + 0.1 * rng.standard_normal(length)
                path = Path(data_dir) / "wav" / f"{lang}_{s}_{u}.wav"
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(path, wave.astype(np.float32), 16000)
                rows[lang].append({"id": path.stem, "audio_filepath": str(path.resolve()), "duration": length / 16000,
                                   "text": "a b", "raw_text": "a b", "lang": lang, "speaker": f"{lang}-spk{s}",
                                   "units": "a | b"})
                length_to_lang[length] = lang
                n += 1
    for lang, lang_rows in rows.items():
        write_jsonl(manifest_path(data_dir, lang, "train"), lang_rows)
    return length_to_lang


def planted_encoder(folder: Path, layer: int, length_to_lang: dict[int, str], strength: float = 3.0):
    """An analyze Encoder whose layer `layer` (1-based output) alone carries a per-language offset."""
    from transformers import AutoModel

    from sshr_cli.analyze import Encoder

    inner = AutoModel.from_pretrained(folder).eval()
    wrapper = PlantedEncoder(inner, layer, length_to_lang, strength)
    return Encoder(wrapper, inner._get_feat_extract_output_lengths, inner.config.num_hidden_layers,
                   inner.config.hidden_size, str(folder), "encoder", True, "cpu")


class PlantedEncoder:
    """Adds +-strength*|h| along a fixed direction to layer k's output; layer k+1 sees it removed."""

    def __init__(self, inner, layer: int, length_to_lang: dict[int, str], strength: float):
        import torch

        self.inner, self.length_to_lang = inner, length_to_lang
        langs = sorted(set(length_to_lang.values()))
        gen = torch.Generator().manual_seed(0)
        direction = torch.randn(inner.config.hidden_size, generator=gen)
        direction = direction / direction.norm()
        self.vectors = {lang: (1 if k % 2 == 0 else -1) * (k // 2 + 1) * direction for k, lang in enumerate(langs)}
        self.strength, self.offset = strength, None
        inner.encoder.layers[layer - 1].register_forward_hook(self._add)
        inner.encoder.layers[layer].register_forward_pre_hook(self._remove, with_kwargs=True)

    def __call__(self, input_values, attention_mask, output_hidden_states=True):
        import torch

        langs = [self.length_to_lang[int(n)] for n in attention_mask.sum(-1)]
        self.offset = torch.stack([self.vectors[lang] for lang in langs])[:, None, :]  # [B, H] -> [B, 1, H]
        return self.inner(input_values=input_values, attention_mask=attention_mask,
                          output_hidden_states=output_hidden_states)

    def _scaled(self, hidden):
        return self.strength * hidden.norm(dim=-1, keepdim=True).mean() * self.offset

    def _add(self, module, args, output):
        hidden = output[0] if isinstance(output, tuple) else output
        self._last = self._scaled(hidden)
        hidden = hidden + self._last
        return (hidden, *output[1:]) if isinstance(output, tuple) else hidden

    def _remove(self, module, args, kwargs):
        if args:
            return (args[0] - self._last, *args[1:]), kwargs
        return args, {**kwargs, "hidden_states": kwargs["hidden_states"] - self._last}
