"""Independent safetensors reader (standard library only) for the round-trip tests.

Usage: python3 read_safetensors.py FILE
Checks the layout rules of the format and prints JSON: metadata, and per tensor (in header
order) dtype, shape, the raw little-endian bytes as hex, and the decoded values as repr strings.
"""
import json
import struct
import sys

SIZES = {"F64": ("d", 8), "F32": ("f", 4), "I32": ("i", 4), "U32": ("I", 4)}


def main(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert 8 + n <= len(raw), "header runs past the end"
    assert (8 + n) % 8 == 0, "data section is not 8-byte aligned"
    text = raw[8 : 8 + n].decode("utf-8")
    assert text.rstrip(" ") == text.strip(), "header padding must be trailing spaces"
    header = json.loads(text)
    data = raw[8 + n :]
    metadata = header.pop("__metadata__", {})
    spans = sorted(tuple(e["data_offsets"]) for e in header.values())
    end = 0
    for begin, stop in spans:
        assert begin == end, "tensors must be contiguous, without gaps or overlaps"
        end = stop
    assert end == len(data), "tensors must cover the data section exactly"
    out = {"metadata": metadata, "tensors": []}
    for name, e in header.items():
        code, size = SIZES[e["dtype"]]
        begin, stop = e["data_offsets"]
        count = 1
        for d in e["shape"]:
            count *= d
        assert stop - begin == count * size, name
        assert begin % size == 0, name + " is not aligned to its element size"
        chunk = data[begin:stop]
        values = struct.unpack("<%d%s" % (count, code), chunk)
        out["tensors"].append(
            {"name": name, "dtype": e["dtype"], "shape": e["shape"], "hex": chunk.hex(), "values": [repr(v) for v in values]}
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
