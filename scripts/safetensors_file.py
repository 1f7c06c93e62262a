"""Reading and writing safetensors files, for the converters and readers in this folder (standard library only).

The layout circ reads (Sources/Transformer/SafeTensors.swift): an 8-byte little-endian header
length, a JSON header (sorted keys, padded with spaces to a multiple of 8 bytes) naming each
tensor's dtype, shape and byte range, `__metadata__` of strings, then the raw little-endian data.
"""
import array
import json
import os
import struct
import sys


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


def read(path):
    """The metadata ({str: str}) and tensors ({name: (shape, list of floats)}) of a safetensors file
    with F32 or F16 tensors. Raises ValueError naming the first problem, OSError when unreadable."""
    with open(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short to be a safetensors file ({len(raw)} bytes)")
    (length,) = struct.unpack("<Q", raw[:8])
    if length > len(raw) - 8:
        raise ValueError(f"{path}: header length {length} does not fit in a file of {len(raw)} bytes")
    header = json.loads(raw[8:8 + length])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + length:]
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        typecode = {"F32": "f", "F16": "e"}.get(entry["dtype"])
        if typecode is None:
            raise ValueError(f"{path}: tensor {name!r} has dtype {entry['dtype']}; circ writes only F32 and F16")
        if not 0 <= start <= end <= len(data):
            raise ValueError(f"{path}: tensor {name!r} has offsets {start}, {end} outside the {len(data)} data bytes")
        chunk = data[start:end]
        if typecode == "f":
            values = array.array("f", chunk)
            if sys.byteorder != "little":
                values.byteswap()
            values = values.tolist()
        else:
            values = list(struct.unpack(f"<{len(chunk) // 2}e", chunk))
        tensors[name] = (list(entry["shape"]), values)
    return metadata, tensors
