"""pluggy hook specifications: the stable surface third-party plugins implement.

A plugin is a module (or object) registered under the ``omnirec`` entry-point group
whose functions carry ``@hookimpl`` and the name of a hook below. Each hook returns a
list of spec records (:mod:`omnirec_core.plugin.specs`). Hooks may gain optional
arguments over time, never lose any: pluggy passes an implementation only the arguments
it declares, so an implementation written today keeps working.
"""

from __future__ import annotations

import pluggy

from omnirec_core.plugin.specs import DatasetSpec, MetricSpec, RunnerSpec, SplitterSpec

PROJECT = "omnirec"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def omnirec_datasets() -> list[DatasetSpec]:  # type: ignore[empty-body]
    """Return the datasets this plugin provides.

    Parameters: none.

    Returns: a list of :class:`~omnirec_core.plugin.specs.DatasetSpec`. Each ``load(raw_dir,
    force_download)`` returns a pandas DataFrame with ``user`` and ``item`` columns (and
    optionally ``rating``, ``timestamp``) in the source's own ids; omnirec canonicalises and
    caches it. A loader that raises ``FileNotFoundError`` asks the user to fetch files by hand
    (its ``licence_note`` says where). Names and aliases must be unique across plugins.

    Example::

        @hookimpl
        def omnirec_datasets():
            return [DatasetSpec("clicks", load=lambda raw_dir, force: pd.read_csv(raw_dir / "clicks.csv"),
                                feedback="implicit", description="our click log")]
    """


@hookspec
def omnirec_splitters() -> list[SplitterSpec]:  # type: ignore[empty-body]
    """Return the splitters this plugin provides.

    Parameters: none.

    Returns: a list of :class:`~omnirec_core.plugin.specs.SplitterSpec`. ``factory(**params)``
    builds a step whose ``process(dataset)`` returns the dataset with ``SplitData`` (train,
    optional val, test) or, with ``folded=True``, ``FoldedData``. Plan files name it by
    ``name`` in their ``[split]`` table.

    Example::

        @hookimpl
        def omnirec_splitters():
            return [SplitterSpec("LastDay", factory=LastDayHoldout, description="test on the last day")]
    """


@hookspec
def omnirec_metrics() -> list[MetricSpec]:  # type: ignore[empty-body]
    """Return the metrics this plugin provides.

    Parameters: none.

    Returns: a list of :class:`~omnirec_core.plugin.specs.MetricSpec`. ``factory(k)`` (or
    ``factory()`` without cutoffs) builds a :class:`~omnirec_core.evaluation.metrics.Metric`;
    ``kind`` says whether it scores ranked lists (``topk``) or pair scores (``rating``).
    Plan files name it as ``NAME@K``.

    Example::

        @hookimpl
        def omnirec_metrics():
            return [MetricSpec("HitsAt", factory=HitsAt, kind="topk", description="raw hit count")]
    """


@hookspec
def omnirec_runners() -> list[RunnerSpec]:  # type: ignore[empty-body]
    """Return the framework runners this plugin provides.

    Parameters: none.

    Returns: a list of :class:`~omnirec_core.plugin.specs.RunnerSpec`: the runner's name, its
    algorithms (with typed parameters, defaults and search spaces), the worker module started
    as ``python -m`` inside the runner's own virtualenv, and what to install there. This
    module runs in the user's environment: import only omnirec_core here, never the framework.

    Example::

        @hookimpl
        def omnirec_runners():
            return [RunnerSpec("Minimal", algorithms=(AlgorithmSpec("MostPop", params=()),),
                               worker_module="omnirec_minimal.worker", requirements=("numpy>=1.24",),
                               install_self=("omnirec-core", "omnirec-minimal"))]
    """
