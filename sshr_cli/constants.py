"""Every default that more than one module uses, named once, with its unit.

The facts the model package needs (sample rate, vocabulary symbols, checkpoint file names) live in
sshr_cli.model.constants and are re-exported here.
"""

from pathlib import Path

from sshr_cli.model.constants import (  # noqa: F401  re-export
    BLANK_ID, BLANK_TOKEN, DECODE_PRECISIONS, ENCODER_FRAME_STRIDE_S, PRECISIONS, PREPROCESSOR_FILE, RECEPTIVE_FIELD_SAMPLES,
    SAMPLE_RATE_HZ, SSHR_CONFIG_KEY, UNK_TOKEN, VOCAB_FILE, WORD_SEPARATOR,
)

# Audio
CV_CLIP_SAMPLE_RATE_HZ = 48_000  # Common Voice releases ship 48 kHz mono mp3

# Datasets: a Common Voice release folder, as Mozilla names it (cv-corpus-17.0-2024-03-15,
# cv-corpus-17.0-delta-2024-03-15); group 1 is the version. prepare records the name, score
# passes it on in summary.json, and the model card names the release from it.
CV_RELEASE = r"cv-corpus-(\d+(?:\.\d+)?)(?:-delta)?-\d{4}-\d{2}-\d{2}"
CV_HUB_DATASET = "common_voice"  # the Hub's dataset id for Common Voice in model cards (model-index dataset.type)

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

# Command line
PROGRESS_ENV = "SSHR_PROGRESS"  # 0/false/no: no progress bars in any command (what --no-progress does)

# Workspace
WORKSPACE_FILE = "sshr.toml"
UNITS = ("chars", "phonemes")  # the target units prepare writes (prepare_report.json) and finetune records
DEFAULT_DATA_DIR = "data"
DEFAULT_EXP_DIR = "exp"

# recipes/ of the repository; sshr_cli/recipes links to it, and wheels carry a copy there
RECIPES_DIR = (Path(__file__).parent / "recipes").resolve()
