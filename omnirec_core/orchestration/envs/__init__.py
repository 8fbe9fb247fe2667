"""Runner environments: isolated virtualenvs (``manager``), Python discovery
(``pythons``) and the current interpreter for in-place runs (``inplace``)."""
