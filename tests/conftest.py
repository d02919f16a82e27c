"""Shared fixtures: tiny, generated, obvious.

`cv_corpus` is a Common-Voice-layout release spoken by espeak-ng: 2 languages x 12 clips
(plus the invalidated/other extras), generated once per test session.
"""

from __future__ import annotations

import shutil

import pytest

CV_LANGS = ["en", "de"]
CV_CLIPS = 12
CV_SEED = 7


@pytest.fixture(scope="session")
def cv_corpus(tmp_path_factory):
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: run the tests through `bash scripts/setup.sh test`")
    from sshr_cli.data.synthetic import generate_commonvoice

    out = tmp_path_factory.mktemp("cv")
    return generate_commonvoice(out, CV_LANGS, clips_per_lang=CV_CLIPS, seed=CV_SEED, jobs=2)
