"""Supermask Studio's remote worker: edge-popup (EP) and iterative edge-popup (iEP) in PyTorch.

The same search as the browser engine (src/engine, specified in docs/engine.md), driven by the same config and
emitting the same reports (src/protocol/telemetry.schema.json), so a GPU box can run what a browser tab cannot.
"""

__version__ = "0.1.0"
