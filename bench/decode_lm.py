"""KenLM beam search throughput: sshr's two backends vs `Wav2Vec2ProcessorWithLM.batch_decode`.

All get the same posteriors, the same ARPA (built by `sshr lm build --lang en` from the
sentences), the same beam width, alpha and beta. HF uses all cores through its fork pool;
sshr's pyctcdecode and flashlight backends run in a spawn pool of as many workers (start-up
inside the clock), and flashlight also in this process (workers=0). The posteriors are simulated from the
reference sentences the way a trained CTC model's look (mostly confident blanks, each
character held 1-3 frames, some characters confused with a neighbour), because a random
tiny model has no WER to compare. WER of each against the references is printed.

    python bench/decode_lm.py [--utts 200] [--beam-width 64]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _result import result  # noqa: E402  (bench/ is on sys.path when run as a script)

CONFUSE_P = 0.12  # chance that a character's frames favour a wrong character
FPS = 50  # frames per second (20 ms)


def simulate(text: str, vocab: dict[str, int], rng) -> np.ndarray:
    """Peaky CTC log-posteriors [T, V] for `text` (chars, '|' between words)."""
    letters = [c for c in vocab if len(c) == 1 and c.isalpha()]
    frames: list[dict[str, float]] = []
    for i, word in enumerate(text.split()):
        if i:
            frames += [{"|": 0.9}] + [{"<pad>": 0.97}] * int(rng.integers(1, 4))
        for ch in word:
            ch = ch if ch in vocab else "<unk>"
            if rng.random() < CONFUSE_P:
                wrong = letters[int(rng.integers(len(letters)))]
                frames += [{wrong: 0.55, ch: 0.4}] * int(rng.integers(1, 3))
            else:
                frames += [{ch: 0.9}] * int(rng.integers(1, 3))
            frames += [{"<pad>": 0.97}] * int(rng.integers(1, 5))
    out = np.full((len(frames), len(vocab)), 1e-4)
    for t, f in enumerate(frames):
        for tok, p in f.items():
            out[t, vocab[tok]] = p
    return np.log(out / out.sum(1, keepdims=True)).astype(np.float32)


def sshr_decode(logits, vocab, arpa: str, args, backend: str, workers: int) -> tuple[list[str], float]:
    from sshr_cli.constants import DEFAULT_ALPHA, DEFAULT_BETA
    from sshr_cli.decode.backends import BeamOptions, BeamPool, BeamSpec

    t0 = time.perf_counter()
    options = BeamOptions(lm_path=arpa, alpha=DEFAULT_ALPHA, beta=DEFAULT_BETA, beam_width=args.beam_width,
                          backend=backend)
    spec = BeamSpec.create(vocab, options)
    with BeamPool(spec, workers) as pool:
        texts = [f.result()[0].text for f in [pool.submit(x) for x in logits]]
    return texts, time.perf_counter() - t0


def hf_decode(logits, arpa: str, args, workers: int, tmp: Path) -> tuple[list[str], float]:
    import json

    from pyctcdecode import build_ctcdecoder
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ProcessorWithLM
    from transformers.utils import logging as hf_logging

    from helpers_decode import CHAR_VOCAB
    from sshr_cli.constants import DEFAULT_ALPHA, DEFAULT_BETA

    hf_logging.set_verbosity_error()
    (tmp / "vocab.json").write_text(json.dumps(CHAR_VOCAB), encoding="utf-8")
    tok = Wav2Vec2CTCTokenizer(str(tmp / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                               word_delimiter_token="|", bos_token=None, eos_token=None)
    labels = [t for t, _ in sorted(CHAR_VOCAB.items(), key=lambda kv: kv[1])]
    decoder = build_ctcdecoder(labels, arpa, alpha=DEFAULT_ALPHA, beta=DEFAULT_BETA)
    proc = Wav2Vec2ProcessorWithLM(Wav2Vec2FeatureExtractor(), tok, decoder)
    longest = max(len(x) for x in logits)
    padded = np.full((len(logits), longest, len(labels)), -100.0, dtype=np.float32)  # [B, T, V], HF's pad value
    for i, x in enumerate(logits):
        padded[i, : len(x)] = x
    t0 = time.perf_counter()
    texts = proc.batch_decode(padded, beam_width=args.beam_width, num_processes=workers).text
    return texts, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--utts", type=int, default=200)
    ap.add_argument("--beam-width", type=int, default=64)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()

    import jiwer

    from helpers_decode import CHAR_VOCAB
    from sshr_cli.constants import DEFAULT_ALPHA, DEFAULT_BETA
    from sshr_cli.data.synthetic import load_sentences
    from sshr_cli.decode.backends import default_workers
    from sshr_cli.decode.greedy import greedy_decode
    from sshr_cli.lm import LMOptions, build_lm
    from sshr_cli.text import normalize
    from sshr_cli.text.vocab import Vocab

    tmp = Path(tempfile.mkdtemp(prefix="bench_lm_"))
    sentences = [normalize(s, "en") for s in load_sentences("en")]
    (tmp / "corpus.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    arpa = str(build_lm([tmp / "corpus.txt"], tmp / "lm.arpa", LMOptions(lang="en")).arpa)
    rng = np.random.default_rng(0)
    refs = [sentences[i % len(sentences)] for i in range(args.utts)]
    logits = [simulate(r, CHAR_VOCAB, rng) for r in refs]
    audio_s = sum(len(x) for x in logits) / FPS
    vocab = Vocab.from_mapping(CHAR_VOCAB)
    workers = args.workers or default_workers()

    runs = {"HF Wav2Vec2ProcessorWithLM.batch_decode": hf_decode(logits, arpa, args, workers, tmp)}
    for backend, n in [("pyctcdecode", workers), ("flashlight", workers), ("flashlight", 0)]:
        where = f"{n} spawn workers, start-up included" if n else "in this process"
        runs[f"sshr {backend} ({where})"] = sshr_decode(logits, vocab, arpa, args, backend, n)
    print(f"{args.utts} utterances, {audio_s:.0f} s of simulated audio, beam {args.beam_width}, "
          f"alpha {DEFAULT_ALPHA}, beta {DEFAULT_BETA}, {workers} worker processes")
    print(f"greedy WER {jiwer.wer(refs, [greedy_decode(x, vocab).text for x in logits]):.4f}")
    hf_texts, t_hf = next(iter(runs.values()))
    for name, (texts, t) in runs.items():
        same = sum(a == b for a, b in zip(texts, hf_texts))
        print(f"{name:58s} WER {jiwer.wer(refs, texts):.4f}  same as HF {same:4d}/{len(refs)}  "
              f"{t:7.2f} s  {audio_s / t:8.1f} x real time  {t_hf / t:5.1f}x HF")
    ours_texts, t_ours = runs["sshr flashlight (in this process)"]  # what `sshr decode --lm` does by default
    result("5", "LM decode at equal WER (sshr decode's default: flashlight, in-process)", audio_s / t_ours,
           audio_s / t_hf, "Wav2Vec2ProcessorWithLM.batch_decode", ">=3", "x real time",
           f"WER sshr {jiwer.wer(refs, ours_texts):.4f} vs HF {jiwer.wer(refs, hf_texts):.4f}, {args.utts} utterances")


if __name__ == "__main__":
    main()
