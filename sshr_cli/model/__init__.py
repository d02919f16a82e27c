"""Models: the SSHR module on HF wav2vec2-family encoders, the plain-CTC baseline, inference."""
