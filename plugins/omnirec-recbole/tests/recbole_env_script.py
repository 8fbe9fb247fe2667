"""Runs INSIDE the RecBole runner env: drives ``RecBoleHandler`` directly (no protocol).

Usage: ``python recbole_env_script.py SPEC.json``. The spec names a data folder (npy
columns written by ``recbole_testdata.write_split``) and a list of jobs
``{"algorithm", "config", "job_dir", "out", "phase": "fit"|"predict"|"both", "k",
"seed", "users": "test"|"val"|"all", "val": bool, "spy_torch_load": bool}``. Each job
writes ``<out>/{user,item,score}.npy`` and ``<out>/result.json`` (fit info, timings,
or the error with its traceback), so one failing algorithm does not hide the others.
Other modes: ``{"mode": "yaml"}`` dumps RecBole's model yaml defaults to ``out``;
``{"mode": "config"}`` writes, per model, the value RecBole's ``Config`` holds for every
declared key when the config leaves it out, and what changes when our declared
defaults are written out.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np


def _interactions(data: Path, part: str):
    from omnirec_core.runner import Interactions

    cols = {}
    for name in ("user", "item", "rating", "timestamp"):
        path = data / f"{part}_{name}.npy"
        if path.exists():
            cols[name] = np.load(path)
    return Interactions.from_columns(cols) if cols else None


def run_job(job: dict, data: Path, meta: dict) -> dict:
    from omnirec_recbole.worker import RecBoleHandler

    from omnirec_core.runner import FitRequest, PredictRequest

    handler = RecBoleHandler()
    train = _interactions(data, "train")
    val = _interactions(data, "val") if job.get("val", True) else None
    common = dict(
        algorithm=job["algorithm"],
        config=job.get("config", {}),
        seed=job.get("seed", 42),
        job_dir=Path(job["job_dir"]),
        train=train,
        n_users=meta["n_users"],
        n_items=meta["n_items"],
        feedback="implicit",
        device=job.get("device", "cpu"),
        threads=1,
    )
    result: dict = {"algorithm": job["algorithm"], "pid": os.getpid()}
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    try:
        if job.get("phase", "both") in ("fit", "both"):
            t = time.perf_counter()
            result["fit"] = handler.fit(FitRequest(val=val, **common))
            result["fit_seconds"] = time.perf_counter() - t
        if job.get("phase", "both") in ("predict", "both"):
            which = job.get("users", "test")
            if which == "all":
                users = np.arange(meta["n_users"])
            else:
                users = np.unique(np.load(data / f"{which}_user.npy"))
            loads = []
            if job.get("spy_torch_load"):
                import torch

                real = torch.load

                def spy(*args, **kwargs):
                    loads.append(repr(args[:1]))
                    return real(*args, **kwargs)

                torch.load = spy
            t = time.perf_counter()
            pred = handler.predict(PredictRequest(k=job.get("k", 10), users=users, **common))
            result["predict_seconds"] = time.perf_counter() - t
            result["predict_info"] = pred.info
            result["torch_load_calls"] = loads
            for name in ("user", "item", "score"):
                np.save(out / f"{name}.npy", getattr(pred, name))
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["error_type"] = type(exc).__name__
        result["traceback"] = traceback.format_exc()
        if job.get("spy_torch_load"):
            result["torch_load_calls"] = loads
    (out / "result.json").write_text(json.dumps(result, indent=1, default=str))
    return result


def dump_yaml(out: Path) -> None:
    """RecBole's per-model yaml defaults, read with RecBole's own loader."""
    import recbole
    import yaml
    from recbole.config import Config

    loader = Config._build_yaml_loader(None)
    folder = Path(recbole.__file__).parent / "properties" / "model"
    names = json.loads(os.environ["RECBOLE_MODELS"])
    found = {}
    for name in names:
        path = folder / f"{name}.yaml"
        found[name] = (yaml.load(path.read_text(), Loader=loader) or {}) if path.exists() else {}
    out.write_text(json.dumps(found, sort_keys=True))


def dump_config(out: Path) -> None:
    """Per model: RecBole's own value of every declared key (the key left out), and the
    keys whose value differs in RecBole's final config when our declared defaults, but
    for the deliberate overrides, are written out (strings set verbatim, as the worker
    does)."""
    from omnirec_recbole import atomic, catalog
    from omnirec_recbole.worker import _recbole_session
    from recbole.config import Config

    found = {}
    with _recbole_session(out.parent / "config-work"):
        for model in catalog.MODELS:
            base = {"use_gpu": False}
            own = Config(model=model.name, dataset=atomic.DATASET, config_dict=base)
            overridden = set(model.ours) | set(catalog.TRAINING_OVERRIDES)
            plain = {k: v for k, v in catalog.defaults(model).items() if k not in overridden}
            strings = {k: v for k, v in plain.items() if isinstance(v, str)}
            given = {k: v for k, v in plain.items() if k not in strings}
            written = Config(model=model.name, dataset=atomic.DATASET, config_dict={**base, **given})
            for key, value in strings.items():
                written[key] = value
            a, b = own.final_config_dict, written.final_config_dict
            found[model.name] = {
                "recbole": {k: own[k] for k in catalog.accepted_keys(model)},
                "written_out_differs": sorted(k for k in set(a) | set(b) if repr(a.get(k)) != repr(b.get(k))),
            }
    out.write_text(json.dumps(found, sort_keys=True, default=repr))


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    if spec.get("mode") == "yaml":
        dump_yaml(Path(spec["out"]))
        return
    if spec.get("mode") == "config":
        dump_config(Path(spec["out"]))
        return
    data = Path(spec["data"])
    meta = json.loads((data / "meta.json").read_text())
    for job in spec["jobs"]:
        result = run_job(job, data, meta)
        took = {k: round(v, 1) for k, v in result.items() if k.endswith("_seconds")}
        print(job["algorithm"], result.get("error", "ok"), took, flush=True)


if __name__ == "__main__":
    main()
