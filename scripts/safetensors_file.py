"""Writing a safetensors file atomically, for the converters in this folder (standard library only).

The layout circ reads (Sources/Transformer/SafeTensors.swift): an 8-byte little-endian header
length, a JSON header (sorted keys, padded with spaces to a multiple of 8 bytes) naming each
tensor's dtype, shape and byte range, `__metadata__` of strings, then the raw little-endian data.
"""
import json
import os
import struct


def write(out_path, tensors, metadata):
    """Writes `tensors` ({name: (shape, F32 little-endian bytes)}) in name order with `metadata` to a
    temporary file beside `out_path`, then renames it into place. Raises OSError; no partial file stays."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name in sorted(tensors):
        shape, raw = tensors[name]
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    encoded = json.dumps(header, sort_keys=True).encode("utf-8")
    encoded += b" " * ((8 - (len(encoded) + 8) % 8) % 8)
    folder = os.path.dirname(os.path.abspath(out_path))
    temporary = os.path.join(folder, f".{os.path.basename(out_path)}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(struct.pack("<Q", len(encoded)))
            handle.write(encoded)
            for raw in blobs:
                handle.write(raw)
        os.replace(temporary, out_path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
