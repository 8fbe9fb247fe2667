"""The decisive line of a failure is what consoles and status tables show."""

from __future__ import annotations

from omnirec_core.orchestration.errortext import decisive_line, summary

CRASH = """RunnerCrashed: runner LensKit (pid 4242) exited with code 1 during startup (before the handshake). Full log: /ck/units/x/LensKit.log. Last output:
=== omnirec: starting runner LensKit: /env/bin/python -m omnirec_lenskit.worker ===
Traceback (most recent call last):
  File "<frozen runpy>", line 198, in _run_module_as_main
  File "/src/omnirec_lenskit/worker.py", line 12, in <module>
    import lenskit
ModuleNotFoundError: No module named 'lenskit'
"""


def test_the_exception_line_of_a_start_up_crash_is_found() -> None:
    assert decisive_line(CRASH) == "ModuleNotFoundError: No module named 'lenskit'"
    one = summary(CRASH)
    assert "\n" not in one
    assert one.startswith("RunnerCrashed: runner LensKit (pid 4242) exited with code 1")
    assert one.endswith("-> ModuleNotFoundError: No module named 'lenskit'")
    assert "Last output:" not in one


def test_a_message_without_a_traceback_is_its_first_line() -> None:
    assert summary("RunnerError: runner Fake failed the fit: RuntimeError: injected failure in fit") == (
        "RunnerError: runner Fake failed the fit: RuntimeError: injected failure in fit"
    )
    assert summary("") == ""
    assert decisive_line("just text\nmore text") == ""


def test_dotted_exception_names_and_quotes_survive() -> None:
    text = "first line\nrecbole.utils.ArgumentError: bad 'embedding_size' value \"x\""
    assert decisive_line(text) == "recbole.utils.ArgumentError: bad 'embedding_size' value \"x\""
