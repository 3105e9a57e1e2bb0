"""Why softmax + cross-entropy: the same network trained with five output/loss pairs.

Same architecture, same initial weights (one seed per run, shared by all variants), same
data and the same minibatch order, trained with SGD + momentum (by `training.fit`) and:

- `ce_fused`     (a) softmax + cross-entropy, the fused op
- `ce_unfused`   (b) the same loss composed from primitives (must match (a) to rounding)
- `softmax_mse`  (c) softmax outputs + mean squared error against one-hot targets
- `sigmoid_mse`  (d) sigmoid outputs + mean squared error
- `linear_mse`   (e) the raw outputs + mean squared error (outputs unbounded)

`run_study(StudyConfig.make(...))` returns a `StudyResult`; `write_results` writes it as
`summary.md`/`.csv`, `histories.csv`, `first_layer_grad.csv`, `results.json` and (with
matplotlib) the `study-*.png` plots. The CLI is `tinygrad-ce study ce-vs-mse`.

- `config`: the datasets and training setup (`StudyConfig`) and the data splits;
- `core`: the five variants, one run (`train_run`) and the study (`run_study`);
- `report`: the files, tables and plots.
"""

from .config import DatasetSpec, Split, StudyConfig, dataset_specs, digits_available, load_split
from .core import (
    PICTURED,
    THRESHOLDS,
    VARIANTS,
    RunResult,
    StudyResult,
    fused_unfused_agree,
    fused_unfused_gradients_agree,
    logit_gradient_sweep,
    per_sample_logit_gradients,
    run_study,
    train_run,
    variant_loss,
    variant_output,
)
from .report import agreement_line, format_epochs, markdown_table, results_dict, write_results

__all__ = [
    "VARIANTS",
    "THRESHOLDS",
    "PICTURED",
    "variant_output",
    "variant_loss",
    "per_sample_logit_gradients",
    "logit_gradient_sweep",
    "DatasetSpec",
    "dataset_specs",
    "StudyConfig",
    "Split",
    "load_split",
    "digits_available",
    "RunResult",
    "train_run",
    "StudyResult",
    "run_study",
    "fused_unfused_agree",
    "fused_unfused_gradients_agree",
    "format_epochs",
    "markdown_table",
    "agreement_line",
    "results_dict",
    "write_results",
]
