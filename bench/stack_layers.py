"""Writes a deeper copy of a llama-family GGUF model: its transformer blocks repeated N times.

The copy has N times the weights and does the same work per layer, so it shows how the engine and the server behave
when a model does not fit in the CPU's caches (SmolLM2-135M's 94 MiB fit in some server CPUs' L3). Its answers are
not meaningful; throughput and latency are.

    python bench/stack_layers.py MODEL.gguf OUT.gguf --times 6

Only the standard library: the GGUF header is copied key by key, `<arch>.block_count` multiplied, and each tensor
`blk.<i>.*` written again, data and all, as `blk.<i + k·blocks>.*` for k in 1..<N.
"""

import argparse
import struct
import sys

# Value types of GGUF metadata and the struct formats of the fixed-size ones.
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9


class Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        (value,) = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.take("<Q")
        self.at += n
        return self.data[self.at - n : self.at].decode()

    def skip_value(self, kind: int):
        if kind in SCALARS:
            self.at += struct.calcsize(SCALARS[kind])
        elif kind == STRING:
            self.string()
        elif kind == ARRAY:
            inner, count = self.take("<I"), self.take("<Q")
            for _ in range(count):
                self.skip_value(inner)
        else:
            raise ValueError(f"unknown GGUF value type {kind}")


def string_bytes(s: str) -> bytes:
    raw = s.encode()
    return struct.pack("<Q", len(raw)) + raw


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("out")
    parser.add_argument("--times", type=int, default=6, help="how many times the blocks appear in the copy")
    args = parser.parse_args()
    if args.times < 1:
        parser.error("--times must be at least 1")
    with open(args.model, "rb") as f:
        data = f.read()
    r = Reader(data)
    if data[:4] != b"GGUF":
        sys.exit(f"{args.model} is not a GGUF file")
    r.at = 4
    version, tensor_count, kv_count = r.take("<I"), r.take("<Q"), r.take("<Q")
    if version < 2:
        sys.exit(f"GGUF version {version} is not supported")

    # Metadata: copied verbatim but for the block count.
    kvs, architecture, alignment, blocks = [], None, 32, None
    for _ in range(kv_count):
        start = r.at
        key = r.string()
        kind = r.take("<I")
        value_at = r.at
        r.skip_value(kind)
        raw = data[start : r.at]
        if key == "general.architecture":
            architecture = Reader(data[value_at : r.at]).string()
        elif key == "general.alignment":
            alignment = struct.unpack_from(SCALARS[kind], data, value_at)[0]
        kvs.append((key, kind, value_at, raw))
    count_key = f"{architecture}.block_count"
    metadata = b""
    for key, kind, value_at, raw in kvs:
        if key == count_key:
            blocks = struct.unpack_from(SCALARS[kind], data, value_at)[0]
            raw = string_bytes(key) + struct.pack("<I", kind) + struct.pack(SCALARS[kind], blocks * args.times)
        metadata += raw
    if blocks is None:
        sys.exit(f"no {count_key} in {args.model}")

    # Tensor infos: name, dimensions, type, offset into the data section.
    infos = []
    for _ in range(tensor_count):
        name = r.string()
        dims = [r.take("<Q") for _ in range(r.take("<I"))]
        kind, offset = r.take("<I"), r.take("<Q")
        infos.append((name, dims, kind, offset))
    data_start = (r.at + alignment - 1) // alignment * alignment
    offsets = sorted(o for *_, o in infos)
    span = {o: e - o for o, e in zip(offsets, offsets[1:] + [len(data) - data_start])}

    out_infos = list(infos)
    for k in range(1, args.times):
        for name, dims, kind, offset in infos:
            parts = name.split(".")
            if parts[0] == "blk":
                parts[1] = str(int(parts[1]) + k * blocks)
                out_infos.append((".".join(parts), dims, kind, offset))

    # Each copy gets its own data, so that the weights really take N times the memory.
    header = b"GGUF" + struct.pack("<IQQ", version, len(out_infos), kv_count) + metadata
    table, payload, at = b"", [], 0
    for name, dims, kind, offset in out_infos:
        table += string_bytes(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        table += struct.pack("<IQ", kind, at)
        payload.append(data[data_start + offset : data_start + offset + span[offset]])
        at += span[offset]
    head = header + table
    head += b"\0" * ((alignment - len(head) % alignment) % alignment)
    with open(args.out, "wb") as f:
        f.write(head)
        for chunk in payload:
            f.write(chunk)
    print(f"{args.out}: {blocks} → {blocks * args.times} blocks, {(len(head) + at) / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
