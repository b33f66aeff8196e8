#!/usr/bin/env python3
"""Writes Tests/Fixtures/quant-formats.gguf: for every quantized format Tern computes with, a small matrix of random
blocks (`<TYPE>.raw`) and the floats the `gguf` package's reference dequantizes it to (`<TYPE>.expected`, F32).

Deterministic: the same numpy and gguf versions write the same bytes, so CI regenerates the file and compares.

    python3 scripts/make_quant_fixtures.py Tests/Fixtures/quant-formats.gguf

Needs the PyPI packages `gguf` and `numpy` (scripts/test.sh installs pinned versions).
"""
import sys

import numpy as np
from gguf import GGMLQuantizationType as Q
from gguf import GGML_QUANT_SIZES, GGUFWriter
from gguf.quants import dequantize

ROWS, COLUMNS = 4, 512

# Byte offsets of the f16 scales of one block that must hold sane values (random bytes could be infinities or NaNs),
# with the range each is drawn from.
SCALES = {
    Q.Q4_0: [(0, -0.05, 0.05)],
    Q.Q4_1: [(0, -0.05, 0.05), (2, -0.3, 0.3)],
    Q.Q5_0: [(0, -0.05, 0.05)],
    Q.Q5_1: [(0, -0.05, 0.05), (2, -0.3, 0.3)],
    Q.Q8_0: [(0, -0.05, 0.05)],
    Q.Q4_K: [(0, -0.01, 0.01), (2, 0.0, 0.01)],
    Q.Q5_K: [(0, -0.01, 0.01), (2, 0.0, 0.01)],
    Q.Q6_K: [(208, -0.01, 0.01)],
    Q.Q2_K: [(80, -0.01, 0.01), (82, 0.0, 0.01)],
    Q.Q3_K: [(108, -0.01, 0.01)],
    Q.IQ4_NL: [(0, -0.01, 0.01)],
    Q.IQ4_XS: [(0, -0.01, 0.01)],
}


def random_blocks(qtype: Q, rng: np.random.Generator) -> np.ndarray:
    block_elements, block_bytes = GGML_QUANT_SIZES[qtype]
    blocks = ROWS * COLUMNS // block_elements
    raw = rng.integers(0, 256, size=(blocks, block_bytes), dtype=np.uint8)
    for offset, low, high in SCALES[qtype]:
        scales = rng.uniform(low, high, size=blocks).astype(np.float16)
        raw[:, offset : offset + 2] = scales.view(np.uint8).reshape(blocks, 2)
    return raw.reshape(ROWS, COLUMNS // block_elements * block_bytes)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rng = np.random.default_rng(20261204)
    writer = GGUFWriter(sys.argv[1], "quant-fixtures")
    for qtype in SCALES:
        raw = random_blocks(qtype, rng)
        writer.add_tensor(f"{qtype.name}.raw", raw, raw_dtype=qtype)
        writer.add_tensor(f"{qtype.name}.expected", dequantize(raw, qtype).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main()
