"""The exit codes of every omnirec command (documented in docs/experiments.md)."""

#: Exit codes (docs/experiments.md): every job done; the run finished but some jobs failed
#: (their causes in ``omnirec status``, everything else on disk); the input is wrong (a bad
#: option, plan, dataset or checkpoint directory: one message says what); interrupted.
EXIT_OK = 0
EXIT_FAILED_JOBS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
#: Stopped by a signal (SIGTERM, SIGHUP): 128 + the signal number, as a shell reports it
#: (143 for SIGTERM, 129 for SIGHUP); handled like Ctrl-C (cli/signals.py).
EXIT_SIGNAL_BASE = 128
EXIT_TERMINATED = EXIT_SIGNAL_BASE + 15
