"""layers.json, layers.png and recommended.yaml, each written atomically."""

from __future__ import annotations

from pathlib import Path

from sshr_cli.io import atomic_path, write_json, write_text

LAYERS_JSON = "layers.json"
LAYERS_PNG = "layers.png"
RECOMMENDED_YAML = "recommended.yaml"


def write_outputs(out_dir: Path, report: dict, recommendation) -> dict[str, Path]:
    paths = {"json": out_dir / LAYERS_JSON, "png": out_dir / LAYERS_PNG, "yaml": out_dir / RECOMMENDED_YAML}
    write_json(paths["json"], report)
    plot_layers(paths["png"], report)
    write_text(paths["yaml"], recommendation.yaml())
    return paths


def plot_layers(path: Path, report: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = [row["layer"] for row in report["layers"]]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for key, color, label in (("language", "tab:blue", "language (utterance probe)"),
                              ("content", "tab:orange", f"content (frame phone probe, {report['content']['method']})")):
        ax.plot(layers, [row[key]["accuracy"] for row in report["layers"]], "o-", color=color, label=label)
        ax.axhline(report[key]["chance"], color=color, ls=":", lw=1, label=f"{key} chance")
    _mark_recommendation(ax, report["recommendation"], report["encoder_layers"])
    ax.set(xlabel="encoder layer (0 = before the first transformer layer)", ylabel="probe accuracy on held-out speakers",
           ylim=(0, 1.02), title=f"What each layer carries: {report['model']}")
    ax.set_xticks(layers)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def _mark_recommendation(ax, rec: dict, n_layers: int) -> None:
    ax.axvline(rec["lid_layer"], color="tab:blue", ls="--", lw=1)
    ax.text(rec["lid_layer"], 0.03, " lid_layer", color="tab:blue", fontsize=8)
    for k, layer in enumerate(rec["cross_ctc_layers"]):
        ax.axvspan(layer - 0.15, layer + 0.15, color="tab:orange", alpha=0.15, label="cross_ctc_layers" if k == 0 else None)
    if rec["num_layers"] < n_layers:
        ax.axvline(rec["num_layers"] + 0.5, color="gray", ls="--", lw=1)
        ax.text(rec["num_layers"] + 0.5, 0.03, " deleted (num_layers)", color="gray", fontsize=8)


def print_report(result, console, out) -> None:
    """Per-layer accuracies and notes on `console`; the recommended settings on `out` (stdout)."""
    report, rec = result.report, result.recommendation
    lang, content = report["language"], report["content"]
    console.print(f"language probe: {lang['train_utts']} train / {lang['test_utts']} test utterances "
                  f"(speaker-disjoint), chance {lang['chance']:.2f}")
    console.print(f"content probe ({content['method']}): {content['train_frames']} train / {content['test_frames']} "
                  f"test frames, {content['classes']} classes, chance {content['chance']:.2f}")
    for row in report["layers"]:
        console.print(f"  layer {row['layer']:>2}  language {row['language']['accuracy']:.3f}  "
                      f"content {row['content']['accuracy']:.3f}")
    if report["skipped"]:
        console.print(f"[yellow]skipped {len(report['skipped'])} utterance(s)[/]; see {result.paths['json']}")
    for note in rec.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"wrote {result.paths['json']}, {result.paths['png']}, {result.paths['yaml']}")
    out.print(f"lid_layer: {rec.lid_layer}\nnum_layers: {rec.num_layers}\n"
              f"cross_ctc_layers: {list(rec.cross_ctc_layers)}\nsshr finetune {rec.set_flags()}",
              soft_wrap=True, markup=False, highlight=False)
