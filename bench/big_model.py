#!/usr/bin/env python3
"""Writes a random-weight Llama-shaped model of about 1.5 GB in Q4_K_M's mix of formats, for decode benchmarks.

    python3 bench/big_model.py OUT.gguf [--layers 32] [--embedding 2560] [--feed-forward 6912] [--vocab 32000]

The model is larger than any CPU cache here, so generating a token streams every weight from memory once: the
figure that matters for the 7B-class Q4_K_M files people run. Dimensions are multiples of 256, so every matrix is
a K-quant, laid out as `llama-quantize` lays out Q4_K_M: Q4_K everywhere, Q6_K for the output matrix and for
`attn_v` and `ffn_down` in the layers where llama.cpp gives them more bits (the first and last eighth, and every
third layer between). The blocks are random bytes with sane scales (the `gguf` package cannot quantize to
K-quants); the answers are meaningless, the work per token is that of a real model of this shape. Deterministic
(fixed seed). Needs the PyPI packages `gguf` and `numpy`.
"""

import argparse

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as Q, GGUFWriter

# Where each K-quant block keeps its f16 scales, and a range that keeps activations finite.
SCALES = {Q.Q4_K: [(0, 0.0, 4e-4), (2, 0.0, 4e-4)], Q.Q6_K: [(208, -1.5e-4, 1.5e-4)]}


def blocks(qtype, rows, columns, rng):
    elements, size = GGML_QUANT_SIZES[qtype]
    count = rows * columns // elements
    data = rng.integers(0, 256, size=(count, size), dtype=np.uint8)
    for offset, low, high in SCALES[qtype]:
        data[:, offset:offset + 2] = rng.uniform(low, high, size=count).astype(np.float16).view(np.uint8).reshape(count, 2)
    return data.reshape(rows, columns // elements * size)


def more_bits(layer, layers):
    """llama.cpp's use_more_bits: the layers whose attn_v and ffn_down Q4_K_M stores as Q6_K."""
    return layer < layers // 8 or layer >= 7 * layers // 8 or (layer - layers // 8) % 3 == 2


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--layers", type=int, default=32)
    parser.add_argument("--embedding", type=int, default=2560)
    parser.add_argument("--feed-forward", type=int, default=6912)
    parser.add_argument("--heads", type=int, default=20)
    parser.add_argument("--kv-heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=32000)
    args = parser.parse_args()
    for name in ("embedding", "feed_forward"):
        if getattr(args, name) % 256:
            parser.error(f"--{name.replace('_', '-')} must be a multiple of 256 (K-quant rows are whole blocks)")
    rng = np.random.default_rng(1500)
    embedding, head = args.embedding, args.embedding // args.heads
    kv = args.kv_heads * head

    writer = GGUFWriter(args.out, "llama")
    writer.add_uint32("llama.context_length", 4096)
    writer.add_uint32("llama.embedding_length", embedding)
    writer.add_uint32("llama.block_count", args.layers)
    writer.add_uint32("llama.feed_forward_length", args.feed_forward)
    writer.add_uint32("llama.attention.head_count", args.heads)
    writer.add_uint32("llama.attention.head_count_kv", args.kv_heads)
    writer.add_uint32("llama.rope.dimension_count", head)
    writer.add_float32("llama.rope.freq_base", 500000.0)
    writer.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    writer.add_uint32("general.file_type", 15)  # MOSTLY_Q4_K_M
    # A byte-level vocabulary: the 256 bytes in GPT-2's printable form, one merge, filler tokens, the end token.
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    form = {b: chr(b) for b in printable}
    form.update({b: chr(256 + i) for i, b in enumerate(b for b in range(256) if b not in printable)})
    tokens = [form[b] for b in range(256)] + ["Ġt"] + [f"t{i}" for i in range(args.vocab - 258)] + ["<|endoftext|>"]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types([1] * (len(tokens) - 1) + [3])
    writer.add_token_merges(["Ġ t"])
    writer.add_bos_token_id(len(tokens) - 1)
    writer.add_eos_token_id(len(tokens) - 1)
    writer.add_add_bos_token(False)

    def matrix(name, qtype, rows, columns):
        writer.add_tensor(name, blocks(qtype, rows, columns, rng), raw_dtype=qtype)

    def norm(name):
        writer.add_tensor(name, (1.0 + 0.1 * rng.standard_normal(embedding)).astype(np.float32))

    matrix("token_embd.weight", Q.Q4_K, len(tokens), embedding)
    norm("output_norm.weight")
    matrix("output.weight", Q.Q6_K, len(tokens), embedding)
    for layer in range(args.layers):
        p = f"blk.{layer}."
        wide = Q.Q6_K if more_bits(layer, args.layers) else Q.Q4_K
        norm(p + "attn_norm.weight")
        matrix(p + "attn_q.weight", Q.Q4_K, embedding, embedding)
        matrix(p + "attn_k.weight", Q.Q4_K, kv, embedding)
        matrix(p + "attn_v.weight", wide, kv, embedding)
        matrix(p + "attn_output.weight", Q.Q4_K, embedding, embedding)
        norm(p + "ffn_norm.weight")
        matrix(p + "ffn_gate.weight", Q.Q4_K, args.feed_forward, embedding)
        matrix(p + "ffn_up.weight", Q.Q4_K, args.feed_forward, embedding)
        matrix(p + "ffn_down.weight", wide, embedding, args.feed_forward)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=True)
    writer.close()


if __name__ == "__main__":
    main()
