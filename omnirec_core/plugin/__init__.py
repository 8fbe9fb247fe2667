"""The plugin system: hook specs, the typed spec records plugins return, and the manager.

``hookspecs`` is the stable surface plugins implement; ``specs`` the records they return
(``RunnerSpec``, ``AlgorithmSpec``, ``Param``, ``MetricSpec``, ``SplitterSpec``,
``DatasetSpec``); ``manager`` loads plugins and answers typed lookups (``get_runner``...).
"""
