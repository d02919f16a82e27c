"""Corpora in, manifests out; the torch dataset, sampler and collate for training."""
