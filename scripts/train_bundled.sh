#!/usr/bin/env bash
# Retrains the bundled style networks with train-fast's defaults (the issue 21 recipe:
# distillation from the any-painting network, then fine-tuning on Gram losses) on the
# bundled training photos. Resumable: run it again after a stop and each network continues
# from its checkpoint in runs/bundled/. Networks land in runs/bundled/models/; copy them to
# styles/models/ when all are done (the app and the tests read that folder meanwhile).
#
#     bash scripts/train_bundled.sh [NAME ...]      # default: all five
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
mkdir -p runs/bundled/models
for name in "${@:-starry_night wave the_scream udnie composition_vii}"; do
  for one in $name; do
    "$PYTHON" -m core train-fast --style "styles/$one.jpg" --photos examples/training \
      --out "runs/bundled/models/$one.weights.h5" --checkpoint-dir "runs/bundled/$one" \
      --note "issue 21 recipe: train-fast's defaults on examples/training"
  done
done
