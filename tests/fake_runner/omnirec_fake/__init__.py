"""omnirec-fake: a pure-numpy runner plugin for tests (real protocol, TLS and processes).

Constants shared by the plugin side (``plugin.py``) and the worker side (``worker.py``);
this module must stay import-light because the worker imports it.
"""

#: Config keys every fake algorithm accepts: fault injection and pacing for tests.
COMMON_PARAMS = ("fault", "sleep", "hang_seconds", "flood_mb", "children")

#: Algorithm -> accepted config keys.
PARAMS: dict[str, tuple[str, ...]] = {
    "Pop": COMMON_PARAMS,
    "Random": COMMON_PARAMS,
    "ItemCF": (*COMMON_PARAMS, "shrink"),
}

#: Values of the ``fault`` config key (see worker.py for what each does).
FAULTS = (
    "crash_fit",
    "crash_predict",
    "exit_fit",
    "raise_fit",
    "hang_fit",
    "flood",
    "bad_frame",
    "bad_predictions",
)

#: Environment variable for faults that happen before any request (see worker.py).
ENV_FAULT = "OMNIREC_FAKE_FAULT"
