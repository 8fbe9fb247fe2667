"""The runner SDK: everything a framework's worker imports inside its own env.

Imports only the stdlib, numpy and msgpack, and nothing else of omnirec_core, so every
runner env can run it: ``api`` (the handler interface and requests), ``wire`` (framing
and message schema), ``serve`` (connect back, serve requests), ``fs`` (crash-safe files).
"""
