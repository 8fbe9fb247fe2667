"""Worker side: runs inside the runner's own env, started as ``python -m omnirec_minimal.worker``."""

import numpy as np

from omnirec_core.runner import (
    ConfigError,
    FitRequest,
    Handler,
    Prediction,
    PredictRequest,
    UserIndex,
    batches,
    topk_from_scores,
)


class MostPopular(Handler):
    name = "Minimal"

    def framework_version(self) -> str:
        return f"numpy {np.__version__}"

    def check_config(self, algorithm: str, config: dict) -> None:
        if config:
            raise ConfigError(f"{algorithm} takes no config keys, got {sorted(config)}")

    def fit(self, req: FitRequest) -> dict:
        counts = np.bincount(req.train.item, minlength=req.n_items).astype(np.float64)
        np.save(req.job_dir / "counts.npy", counts)  # model state lives in job_dir
        return {"items_seen": int((counts > 0).sum())}

    def predict(self, req: PredictRequest) -> Prediction:
        counts = np.load(req.job_dir / "counts.npy")
        users = np.asarray(req.users if req.users is not None else [], dtype=np.int64)
        exclude = UserIndex(req.train, req.n_users) if req.exclude_train else None
        parts = [
            topk_from_scores(
                np.broadcast_to(counts, (s.stop - s.start, len(counts))), users[s], req.k, exclude
            )
            for s in batches(len(users), 1024)
        ] or [(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))]
        user, item, score = (np.concatenate(col) for col in zip(*parts))
        return Prediction(user=user, item=item, score=score)


if __name__ == "__main__":
    from omnirec_core.runner.serve import main

    main(MostPopular())
