#!/usr/bin/env bash
# Install omnirec (core, runner plugins, the omnirec distribution, test and report extras)
# into ./.venv and run every test, including the slow ones that build the real LensKit /
# RecBole / RecPack runner envs and the one that opens the experiment report in headless
# Chromium.
# Runner envs are cached in $OMNIREC_TEST_ENV_DIR (default ~/.cache/omnirec/test-envs),
# shared by all tests of a run and reused by the next run.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/venv.sh
pip_install -e '.[test,report]' \
  -e plugins/omnirec-lenskit -e plugins/omnirec-recpack -e plugins/omnirec-recbole \
  -e plugins/omnirec-implicit -e plugins/omnirec-cornac \
  -e tests/fake_runner
# The omnirec distribution (OmniRec's import paths; packages/omnirec). --no-deps: its
# requirements are the core and plugins just installed editable from this checkout.
pip_install --no-deps -e packages/omnirec

# The Ray extra for the `ray` tests (about a minute to install; OMNIREC_TEST_RAY=0 skips it,
# and the `ray` tests then skip themselves).
if [ "${OMNIREC_TEST_RAY:-1}" != 0 ]; then
  pip_install -e '.[ray]'
fi

# A one-node Slurm cluster on loopback for the `slurm` tests (needs root and apt; a few
# seconds once installed; OMNIREC_TEST_SLURM=0 leaves it off and those tests skip).
if [ "${OMNIREC_TEST_SLURM:-1}" != 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  bash scripts/slurm-cluster.sh start
  trap 'bash scripts/slurm-cluster.sh stop' EXIT
fi

# Headless Chromium for the report's `browser` test (Debian's chromium, with a font for its
# screenshots; needs root and apt). OMNIREC_TEST_BROWSER=0 does not install it; without a
# Chromium that test skips itself.
if [ "${OMNIREC_TEST_BROWSER:-1}" != 0 ] && ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] \
  && command -v apt-get >/dev/null; then
  echo "test.sh: installing chromium for the report's browser test" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null; then
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
  fi
fi

export OMNIREC_TEST_ENV_DIR=${OMNIREC_TEST_ENV_DIR:-$HOME/.cache/omnirec/test-envs}
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache >/dev/null || .venv/bin/lint-imports --no-cache
.venv/bin/mypy
.venv/bin/python -m pytest -p no:cacheprovider "$@"
