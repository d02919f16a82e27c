"""`sshr analyze`: which encoder layers carry language and which carry content.

    from sshr_cli.analyze import AnalyzeConfig, run_analysis
    result = run_analysis(AnalyzeConfig(model="facebook/mms-300m", data_dir="data", langs=("en", "de")))
    result.recommendation.lid_layer, result.recommendation.num_layers, result.recommendation.cross_ctc_layers

Layer l (1-based) is the output of transformer layer l, as `SSHRConfig.lid_layer` counts them;
layer 0 is the input of the first transformer layer (conv features + positional conv).
"""

from sshr_cli.analyze.config import AnalyzeConfig
from sshr_cli.analyze.features import Encoder, load_encoder
from sshr_cli.analyze.recommend import Recommendation, recommend
from sshr_cli.analyze.run import AnalysisResult, run_analysis

__all__ = ["AnalyzeConfig", "AnalysisResult", "Encoder", "Recommendation", "load_encoder", "recommend",
           "run_analysis"]
