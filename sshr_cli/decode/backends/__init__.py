"""CTC decoders behind one interface (base.Backend), picked by name: one file per backend.

    spec = BeamSpec.create(vocab, BeamOptions(lm_path="lm.arpa"), checkpoint_dir)
    with BeamPool(spec, workers=4) as pool:   # or spec.build().decode(log_probs) in this process
        hyps = pool.submit(log_probs).result()

To add a backend: a `Backend` subclass in a new file here (importing base and common, never
a sibling backend), and its name in `register(...)` below; the order there is the listing order.
"""

from sshr_cli.decode.backends.base import (Backend, BeamOptions, BeamSpec, backend_class, backend_names,
                                           beam_choices, check_backend, register)
from sshr_cli.decode.backends.flashlight import FlashlightBackend
from sshr_cli.decode.backends.greedy import GreedyBackend
from sshr_cli.decode.backends.pool import BeamPool, default_workers
from sshr_cli.decode.backends.pyctcdecode import PyctcdecodeBackend

register(GreedyBackend, PyctcdecodeBackend, FlashlightBackend)

__all__ = ["Backend", "BeamOptions", "BeamPool", "BeamSpec", "backend_class", "backend_names", "beam_choices",
           "check_backend", "default_workers"]
