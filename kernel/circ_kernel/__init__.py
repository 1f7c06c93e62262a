"""circ-kernel: a Jupyter kernel for circ, wrapping `circ serve` (docs/protocol.md)."""
