"""Plugin side: runs in the user's environment and only declares the runner."""

from omnirec_core import AlgorithmSpec, RunnerSpec, hookimpl


@hookimpl
def omnirec_runners() -> list[RunnerSpec]:
    return [
        RunnerSpec(
            name="Minimal",
            algorithms=(AlgorithmSpec("MostPop", params=(), description="most popular items"),),
            worker_module="omnirec_minimal.worker",
            requirements=("numpy>=1.24",),  # everything the worker imports besides the core
            install_self=("omnirec-core", "omnirec-minimal"),
        )
    ]
