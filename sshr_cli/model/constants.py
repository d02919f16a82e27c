"""The facts the model package needs, named once with their units; sshr_cli.constants re-exports them.

The model package imports nothing else from sshr_cli (its files may travel inside a checkpoint
folder as the model's own code), so these names live here, not in sshr_cli.constants.
"""

import re

VERSION = "0.1.0.dev0"  # sshr's version (sshr_cli.__version__); every config.json records it

# Audio
SAMPLE_RATE_HZ = 16_000  # what every wav2vec2-family encoder expects
ENCODER_FRAME_STRIDE_S = 0.02  # conv feature encoder 7x512: 320 samples per frame at 16 kHz
RECEPTIVE_FIELD_SAMPLES = 400  # wav2vec2-family conv encoder: 25 ms at 16 kHz gives the first frame

# Vocabulary (CTC targets). The blank is the pad token and always has id 0.
BLANK_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"
WORD_SEPARATOR = "|"  # between words, for characters and for phonemes alike
BLANK_ID = 0

PRECISIONS = ("auto", "bf16", "fp16", "fp32")  # training autocast on GPU; auto = bf16 where supported, else fp16
DECODE_PRECISIONS = PRECISIONS + ("int8",)  # inference also: int8 Linear layers on a CPU (model/precision.py)

# Files inside a checkpoint folder (HF save_pretrained layout)
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
VOCAB_FILE = "vocab.json"
PREPROCESSOR_FILE = "preprocessor_config.json"
PROCESSOR_FILE = "processor_config.json"  # Wav2Vec2Processor's combined file (newer transformers)
ONNX_FILE = "model.onnx"  # an ONNX export folder (sshr export onnx): the graph
ONNX_CONFIG_FILE = "sshr_onnx.json"  # ... and what sshr needs to run it (kind, languages, opset, precision)
LANGUAGE_FRAMES_FILE = "language_frames.json"  # each training language's mean language frame (forced decoding)
LANGUAGE_FRAME_UTTERANCES = 200  # the mean is over the first N train utterances of each language (manifest order)
SSHR_CONFIG_KEY = "sshr"  # our frozen config lives under this key in config.json
VERSIONS_KEY = "sshr_versions"  # config.json: the sshr/torch/transformers versions that wrote it

# A Hugging Face Hub repo id: org/name (the encoder or checkpoint to download)
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
