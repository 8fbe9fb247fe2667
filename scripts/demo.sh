#!/usr/bin/env bash
# The main job: install omnirec (the omnirec distribution: the core with the LensKit,
# RecBole and RecPack runner plugins, one path, and the report extra) into ./.venv, run a
# real experiment on MovieLens-100K (examples/ml100k.toml), show the results with paired
# significance tests against the popularity baseline, and write the experiment report:
# one self-contained page that opens offline.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/venv.sh
# What a user installs (scripts/test.sh makes it editable again); without build isolation
# a re-run reinstalls the five local projects in seconds, not half a minute.
pip_install --no-build-isolation './packages/omnirec[report]'

.venv/bin/omnirec run examples/ml100k.toml "$@"
.venv/bin/omnirec results checkpoints/ml100k --compare LensKit.PopScorer --metric NDCG@10
.venv/bin/omnirec report checkpoints/ml100k -o checkpoints/ml100k/report.html \
  --compare LensKit.PopScorer --metric NDCG@10
