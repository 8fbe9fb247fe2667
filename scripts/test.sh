#!/usr/bin/env bash
# Install omnirec (core, runner plugins, test extras) into ./.venv and run every test,
# including the slow ones that build the real LensKit / RecBole / RecPack runner envs.
# Runner envs are cached in $OMNIREC_TEST_ENV_DIR (default ~/.cache/omnirec/test-envs),
# shared by all tests of a run and reused by the next run.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/venv.sh
.venv/bin/python -m pip install -q -e '.[test]' \
  -e plugins/omnirec-lenskit -e plugins/omnirec-recpack -e plugins/omnirec-recbole \
  -e tests/fake_runner

export OMNIREC_TEST_ENV_DIR=${OMNIREC_TEST_ENV_DIR:-$HOME/.cache/omnirec/test-envs}
.venv/bin/ruff check .
.venv/bin/python -m pytest -p no:cacheprovider "$@"
