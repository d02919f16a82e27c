"""Every default that more than one module uses, named once, with its unit."""

from pathlib import Path

# Audio
SAMPLE_RATE_HZ = 16_000  # what every wav2vec2-family encoder expects
CV_CLIP_SAMPLE_RATE_HZ = 48_000  # Common Voice releases ship 48 kHz mono mp3
ENCODER_FRAME_STRIDE_S = 0.02  # conv feature encoder 7x512: 320 samples per frame at 16 kHz
RECEPTIVE_FIELD_SAMPLES = 400  # wav2vec2-family conv encoder: 25 ms at 16 kHz gives the first frame

# Vocabulary (CTC targets). The blank is the pad token and always has id 0.
BLANK_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"
WORD_SEPARATOR = "|"  # between words, for characters and for phonemes alike
BLANK_ID = 0

# Data filters (train split only; dev/test are never filtered by length)
MIN_TRAIN_DURATION_S = 0.5
MAX_TRAIN_DURATION_S = 20.0  # ML-SUPERB's train cap; also a sane default for Common Voice

# Default encoder
DEFAULT_ENCODER = "facebook/mms-300m"

# Decoding (pyctcdecode's names; values tuned for graphemes + word n-gram)
DEFAULT_ALPHA = 0.5  # LM weight
DEFAULT_BETA = 1.0  # word insertion bonus
DEFAULT_BEAM_WIDTH = 64  # hypotheses kept per frame
DEFAULT_HOTWORD_WEIGHT = 10.0
DEFAULT_CHUNK_S = 30.0  # long-audio chunk length, seconds
DEFAULT_STRIDE_S = 5.0  # overlap on each side of a chunk, seconds
DEFAULT_MAX_BATCH_S = 120.0  # seconds of audio per inference batch on a GPU
DEFAULT_MAX_BATCH_S_CPU = 40.0  # on a CPU: 40 s batches decoded 1.6x faster than 120 s (2 cores, tiny model)

# Files inside a checkpoint folder
SSHR_CONFIG_KEY = "sshr"  # our frozen config lives under this key in config.json
VOCAB_FILE = "vocab.json"
PREPROCESSOR_FILE = "preprocessor_config.json"
TRAIN_SUMMARY_FILE = "train_summary.json"  # finetune's record of a checkpoint: step, units, languages, dev

# Workspace
WORKSPACE_FILE = "sshr.toml"
DEFAULT_DATA_DIR = "data"
DEFAULT_EXP_DIR = "exp"

PRECISIONS = ("auto", "bf16", "fp16", "fp32")  # autocast on GPU; auto = bf16 where supported, else fp16; CPU runs fp32
# recipes/ of the repository; sshr_cli/recipes links to it, and wheels carry a copy there
RECIPES_DIR = (Path(__file__).parent / "recipes").resolve()
