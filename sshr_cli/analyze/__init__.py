"""`sshr analyze`: which encoder layers carry language and which carry content.

    from sshr_cli.analyze import AnalyzeConfig, run_analysis
    result = run_analysis(AnalyzeConfig(model="facebook/mms-300m", data_dir="data", langs=("en", "de")))
    result.recommendation.lid_layer, result.recommendation.num_layers, result.recommendation.cross_ctc_layers

Layer l (1-based) is the output of transformer layer l, as `SSHRConfig.lid_layer` counts them;
layer 0 is the input of the first transformer layer (conv features + positional conv).
Names are imported lazily, so `sshr --help` can read the defaults in `config` cheaply.
"""

from importlib import import_module

_HOME = {"AnalyzeConfig": "config", "Encoder": "features", "load_encoder": "features",
         "Recommendation": "recommend", "recommend_layers": "recommend", "AnalysisResult": "run", "run_analysis": "run"}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'sshr_cli.analyze' has no attribute '{name}'")
    return getattr(import_module(f"sshr_cli.analyze.{_HOME[name]}"), name)
