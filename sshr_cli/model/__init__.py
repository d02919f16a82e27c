"""Models: the SSHR module on HF wav2vec2-family encoders, the plain-CTC baseline, inference.

The bottom layer of sshr: these files import torch, transformers, safetensors, numpy, the
standard library and each other (relative imports), nothing else from sshr_cli, so they can
travel inside a checkpoint folder as the model's own code (tests/test_model_imports.py).

    config.py         SSHRConfig, the model's options (no torch)
    constants.py      sample rate, vocabulary symbols, checkpoint file names, the version
    errors.py         the typed errors (sshr_cli.errors re-exports them)
    fileio.py         atomic writes and the checked JSON reader (sshr_cli.io re-exports the writers)
    vocab.py          Vocab, the CTC targets (sshr_cli.text.vocab re-exports it)
    encoder.py        loading and checking the HF encoder; preprocessing settings
    losses.py         CTC, intermediate CTC, LID
    sshr.py           SSHRForCTC
    checkpoint_io.py  the files of a checkpoint folder
    frames.py         each language's mean language frame: accumulated in training, forced in decoding
    inference.py      Recognizer: one inference interface over sshr and HF *ForCTC folders
    precision.py      inference precision per device: autocast, int8 Linear layers on a CPU
    tiny.py           tiny encoders for tests, the demo and benchmarks
"""
