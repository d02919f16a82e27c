import dataclasses

import pytest

from sshr_cli.config import (RECIPES_DIR, ModelSection, RunConfig, ScheduleSection, dump_yaml, from_dict,
                             load_recipe)
from sshr_cli.errors import ConfigError
from sshr_cli.train.schedule import tri_stage_factor

RECIPES = ["commonvoice/baseline", "commonvoice/sshr", "mlsuperb/baseline", "mlsuperb/sshr", "synthetic/tiny"]


@pytest.mark.parametrize("name", RECIPES)
def test_every_shipped_recipe_loads(name):
    cfg = load_recipe(name)
    assert isinstance(cfg, RunConfig)
    assert (RECIPES_DIR / f"{name}.yaml").is_file()


def test_base_inheritance_merges_sections_key_by_key():
    base, sshr = load_recipe("commonvoice/baseline"), load_recipe("commonvoice/sshr")
    assert base.model.arch == "ctc" and sshr.model.arch == "sshr"
    assert sshr.model.cross_ctc_layers == (18, 20, 22) and sshr.model.lid_layer == 8
    assert sshr.optim == base.optim and sshr.train == base.train  # untouched sections come from the base
    tiny = load_recipe("synthetic/tiny")  # a chain of two bases
    assert tiny.model.encoder == "tiny" and tiny.model.inter_ctc_weight == sshr.model.inter_ctc_weight


def test_set_overrides_parse_and_type_check():
    cfg = load_recipe("synthetic/tiny", ["optim.lr_heads=1e-2", "model.cross_ctc_layers=[2, 3]",
                                          "model.lid_layer=null", "data.langs=[en]", "train.max_steps=7"])
    assert cfg.optim.lr_heads == 0.01 and cfg.model.cross_ctc_layers == (2, 3)
    assert cfg.model.lid_layer is None and cfg.data.langs == ("en",) and cfg.train.max_steps == 7


@pytest.mark.parametrize("override, message", [
    ("optim.lr_head=1", "did you mean 'lr_heads'"),
    ("optimizer.lr_heads=1", "unknown section"),
    ("train.max_steps=ten", "expected an integer"),
    ("train.precision=fp8", "train.precision must be one of"),
    ("model.share_ctc_head=maybe", "expected true or false"),
    ("lr=1", "expected section.key=value"),
    ("schedule.hold_ratio=0.9", "must sum to 1"),
])
def test_bad_overrides_are_one_line_config_errors(override, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_recipe("synthetic/tiny", [override])
    assert "\n" not in str(info.value)


def test_dumped_yaml_round_trips(tmp_path):
    cfg = load_recipe("commonvoice/sshr", ["data.langs=[en, de]"])
    path = tmp_path / "resolved.yaml"
    path.write_text(dump_yaml(cfg))
    assert load_recipe(path) == cfg


def test_base_loops_and_missing_recipes_are_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n")
    with pytest.raises(ConfigError, match="loop"):
        load_recipe(tmp_path / "a.yaml")
    with pytest.raises(ConfigError, match="commonvoice/sshr.yaml"):
        load_recipe("nope/nothing")


def test_model_section_mirrors_the_model_config():
    """Every SSHRConfig field but `languages` can be set from a recipe, with the same default.

    ModelSection's defaults are copied from SSHRConfig, so comparing the two field lists would
    compare SSHRConfig with itself; what can break is the path a recipe takes to the model:
    ModelSection(...).sshr_fields() -> SSHRConfig(**...)."""
    from sshr_cli.model.config import SSHRConfig

    names = {f.name for f in dataclasses.fields(SSHRConfig)} - {"languages"}
    fields = ModelSection().sshr_fields()
    assert set(fields) == names  # every option, no encoder, no languages
    assert SSHRConfig(**fields) == SSHRConfig()  # a recipe that sets nothing gets the model's defaults
    recipe = load_recipe("synthetic/tiny", ["model.lid_weight=0.25", "model.share_ctc_head=false"])
    assert {k: recipe.model.sshr_fields()[k] for k in ("lid_weight", "share_ctc_head")} == {
        "lid_weight": 0.25, "share_ctc_head": False}


def test_a_new_model_option_reaches_the_recipe_section_by_itself(monkeypatch):
    """ModelSection is derived from SSHRConfig: an option added there is a recipe key, with its type."""
    import typing

    import sshr_cli.config as config
    from sshr_cli.model.config import SSHRConfig

    @dataclasses.dataclass(frozen=True)
    class WithNewOption(SSHRConfig):
        new_option: int = 7

    monkeypatch.setattr(config, "SSHRConfig", WithNewOption)
    section = config._model_section()
    assert section().new_option == 7 and typing.get_type_hints(section)["new_option"] is int
    assert "languages" not in {f.name for f in dataclasses.fields(section)}
    assert section(new_option=3).sshr_fields()["new_option"] == 3


def test_config_module_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, sshr_cli.config; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tri_stage_schedule_warms_up_holds_and_decays():
    s = ScheduleSection(warmup_ratio=0.1, hold_ratio=0.4, decay_ratio=0.5, init_lr_scale=0.01, final_lr_scale=0.05)
    f = [tri_stage_factor(i, 100, s) for i in range(120)]
    assert f[0] == pytest.approx(0.01) and f[5] == pytest.approx(0.01 + 0.99 * 0.5)
    assert f[10] == f[49] == 1.0
    assert f[50] == 1.0 and f[75] == pytest.approx(0.05 ** 0.5)
    assert all(a >= b for a, b in zip(f[50:], f[51:]))
    assert f[100] == f[119] == pytest.approx(0.05)


def test_from_dict_rejects_a_non_mapping_section():
    with pytest.raises(ConfigError, match="mapping"):
        from_dict({"train": 3})
