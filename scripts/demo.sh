#!/usr/bin/env bash
# The main job: install omnirec with the LensKit and RecPack runner plugins (and the report
# extra) into ./.venv, run a real experiment on MovieLens-100K (examples/ml100k.toml), show
# the results with paired significance tests against the popularity baseline, and write the
# experiment report: one self-contained page that opens offline.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/venv.sh
pip_install -e '.[report]' -e plugins/omnirec-lenskit -e plugins/omnirec-recpack

.venv/bin/omnirec run examples/ml100k.toml "$@"
.venv/bin/omnirec results checkpoints/ml100k --compare LensKit.PopScorer --metric NDCG@10
.venv/bin/omnirec report checkpoints/ml100k -o checkpoints/ml100k/report.html \
  --compare LensKit.PopScorer --metric NDCG@10
