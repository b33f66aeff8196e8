#!/usr/bin/env python3
"""Convert a sentence-transformers BERT model (a Hugging Face folder) to a GGUF file that llama.cpp and Tern load.

    python3 scripts/convert_bert_to_gguf.py MODEL_DIR --outfile OUT.gguf [--outtype f32|f16] [--name NAME]

MODEL_DIR is a sentence-transformers folder of a BERT encoder, for example all-MiniLM-L6-v2:

    config.json                  BertModel hyper-parameters (hidden_size, num_hidden_layers, layer_norm_eps, ...)
    model.safetensors            the weights (F32, F16 or BF16); read directly, no torch needed
    vocab.txt                    the WordPiece vocabulary, one token a line, the line number is the id
    tokenizer_config.json        do_lower_case, strip_accents and the names of [CLS], [SEP], [UNK], [PAD], [MASK]
    1_Pooling/config.json        mean or CLS pooling (the folder named by modules.json, if there is one)
    sentence_bert_config.json    optional: do_lower_case (sentence-transformers lowercases before tokenizing)

The file written follows llama.cpp's own converter (convert_hf_to_gguf.py, class BertModel) key for key and
tensor for tensor, except for the descriptive `general.*` keys:

  * architecture `bert`: bert.block_count, context_length (max_position_embeddings), embedding_length,
    feed_forward_length, attention.head_count, attention.layer_norm_epsilon, attention.causal = false,
    pooling_type (1 = mean, 2 = CLS);
  * tokenizer `bert` (WordPiece), pre-tokenizer `jina-v2-en`, token_type_count (type_vocab_size); tokens in
    llama.cpp's "phantom space" form: a continuation piece "##ing" is stored as "ing", a word-initial piece "the"
    as "\u2581the" (U+2581), and the special tokens ([PAD], [UNK], [CLS], [SEP], [MASK]; token type 3, control)
    unchanged; [CLS] is the BOS token and [SEP] the EOS and separator token, both added around every text;
    tokenizer.ggml.normalizer.lowercase from do_lower_case (accents are stripped too when lowercasing, as
    Hugging Face's BertTokenizer does, unless tokenizer_config.json sets strip_accents);
  * tensors token_embd, token_types, position_embd, token_embd_norm and, for each block N, blk.N.attn_q,
    attn_k, attn_v, attn_output, attn_output_norm, ffn_up, ffn_down, layer_output_norm (weights and biases).
    The pooler and the masked-LM head are left out (they are not used for embeddings).

--outtype f32 keeps every tensor in 32-bit floats (all-MiniLM-L6-v2: 91 MB). --outtype f16 stores the 2-D weight
matrices (token_embd and the six matrices of every block) in 16-bit floats, as llama.cpp's converter does, and
keeps norms, biases, position and token-type embeddings in f32 (all-MiniLM-L6-v2: 46 MB).

Needs only numpy and the PyPI package `gguf` (see scripts/fixtures-requirements.txt). The output is written to a
temporary file next to OUT.gguf and renamed when complete, so OUT.gguf is never half-written.
"""
import argparse
import json
import os
import re
import struct
import sys
import tempfile

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter, LlamaFileType, PoolingType, TokenType
from gguf.constants import GGML_QUANT_VERSION
from gguf.utility import size_label

ARCH = "bert"
PHANTOM_SPACE = "\u2581"
# Architectures of config.json that are a plain BERT encoder (llama.cpp's BertModel class takes the same).
BERT_ARCHITECTURES = {"BertModel", "BertForMaskedLM"}
SPECIAL_DEFAULTS = {"cls_token": "[CLS]", "sep_token": "[SEP]", "unk_token": "[UNK]", "pad_token": "[PAD]",
                    "mask_token": "[MASK]"}


class ConversionError(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------------
# Reading the folder


def read_json(path, required=True):
    if not os.path.isfile(path):
        if required:
            raise ConversionError(f"missing file: {path}")
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ConversionError(f"{path} is not valid JSON: {e}") from None


SAFETENSORS_DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"),
                      "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4")}


def read_safetensors(path):
    """{name: little-endian numpy array} of a .safetensors file, memory-mapped.

    The format: an unsigned 64-bit little-endian header length N, then N bytes of JSON mapping each tensor's name
    to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the end of the header), then the data.
    """
    if not os.path.isfile(path):
        raise ConversionError(f"missing file: {path} (only the .safetensors format is read; a pytorch_model.bin "
                              "must be converted to safetensors first)")
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            raise ConversionError(f"{path} is too short to be a safetensors file")
        (header_length,) = struct.unpack("<Q", prefix)
        if header_length > min(size - 8, 100 << 20):
            raise ConversionError(f"{path} is not a safetensors file (header length {header_length})")
        try:
            header = json.loads(f.read(header_length))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ConversionError(f"{path} is not a safetensors file (its header is not JSON)") from None
    data_start = 8 + header_length
    mapped = np.memmap(path, dtype=np.uint8, mode="r", offset=data_start, shape=(size - data_start,))
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise ConversionError(f"{path}: tensor {name} has the unsupported type {info.get('dtype')}")
        shape = [int(n) for n in info["shape"]]
        begin, end = info["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64))
        if not 0 <= begin <= end <= size - data_start or end - begin != count * dtype.itemsize:
            raise ConversionError(f"{path}: tensor {name} has inconsistent data offsets {begin}..{end}")
        array = mapped[begin:end].view(dtype).reshape(shape)
        tensors[name] = (info["dtype"], array)
    return tensors


def as_float32(kind, array):
    if kind == "BF16":
        return (array.astype(np.uint32) << 16).view(np.float32)
    return array.astype(np.float32, copy=False)


def read_vocabulary(path, vocab_size):
    """The tokens of vocab.txt by id (a missing or duplicated id becomes an unused "[PAD<id>]" token)."""
    if not os.path.isfile(path):
        raise ConversionError(f"missing file: {path} (the WordPiece vocabulary)")
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) > vocab_size:
        raise ConversionError(f"{path} has {len(lines)} tokens but config.json says vocab_size {vocab_size}")
    # As in Hugging Face's tokenizer, a token listed twice keeps its last id.
    last_id = {token: i for i, token in enumerate(lines)}
    tokens = [None] * vocab_size
    for token, i in last_id.items():
        tokens[i] = token
    return tokens


def special_token_name(value):
    if isinstance(value, dict):
        return value.get("content")
    return value


def pooling_type(model_dir, override):
    if override:
        return {"mean": PoolingType.MEAN, "cls": PoolingType.CLS}[override]
    folder = "1_Pooling"
    modules = read_json(os.path.join(model_dir, "modules.json"), required=False)
    if modules:
        paths = [m.get("path", "") for m in modules if str(m.get("type", "")).endswith("Pooling")]
        if paths:
            folder = paths[0]
    path = os.path.join(model_dir, folder, "config.json")
    if not os.path.isfile(path):
        raise ConversionError(f"missing file: {path} (the sentence-transformers pooling settings; "
                              "pass --pooling mean or --pooling cls for a folder without one)")
    config = read_json(path)
    modes = {key: bool(config.get(key)) for key in config if key.startswith("pooling_mode_") and isinstance(config[key], bool)}
    chosen = [key for key, on in modes.items() if on]
    if chosen == ["pooling_mode_mean_tokens"] or config.get("pooling_mode") == "mean":
        return PoolingType.MEAN
    if chosen == ["pooling_mode_cls_token"] or config.get("pooling_mode") == "cls":
        return PoolingType.CLS
    raise ConversionError(f"{path}: pooling {chosen or config.get('pooling_mode')} is not supported "
                          "(llama.cpp pools BERT models by mean or by the [CLS] token only)")


# ---------------------------------------------------------------------------------------------------------------
# Tensor names


BLOCK_TENSORS = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}
GLOBAL_TENSORS = {
    "embeddings.word_embeddings": "token_embd",
    "embeddings.token_type_embeddings": "token_types",
    "embeddings.position_embeddings": "position_embd",
    "embeddings.LayerNorm": "token_embd_norm",
}
# Tensors of the Hugging Face checkpoint that embeddings do not use.
SKIPPED = re.compile(r"^(embeddings\.position_ids|pooler\..*|cls\..*)$")


def gguf_name(name):
    """The GGUF name of a checkpoint tensor, None for a tensor to leave out."""
    if name.startswith("bert."):
        name = name[len("bert."):]
    if name.endswith(".gamma"):
        name = name[:-len(".gamma")] + ".weight"
    elif name.endswith(".beta"):
        name = name[:-len(".beta")] + ".bias"
    if SKIPPED.match(name):
        return None
    stem, _, suffix = name.rpartition(".")
    if suffix not in ("weight", "bias"):
        raise ConversionError(f"unexpected tensor {name} in model.safetensors")
    if stem in GLOBAL_TENSORS:
        return f"{GLOBAL_TENSORS[stem]}.{suffix}"
    match = re.fullmatch(r"encoder\.layer\.(\d+)\.(.+)", stem)
    if match and match.group(2) in BLOCK_TENSORS:
        return f"blk.{int(match.group(1))}.{BLOCK_TENSORS[match.group(2)]}.{suffix}"
    raise ConversionError(f"unexpected tensor {name} in model.safetensors (not a BERT encoder weight)")


def natural_key(name):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def storage_type(name, array, outtype):
    """llama.cpp's rule: only 2-D `.weight` matrices become f16; 1-D tensors, norms, position and token-type
    embeddings stay f32."""
    if outtype == "f16" and array.ndim == 2 and name.endswith(".weight") and not name.endswith("_norm.weight") \
            and not name.startswith(("position_embd.", "token_types.")):
        return GGMLQuantizationType.F16
    return GGMLQuantizationType.F32


# ---------------------------------------------------------------------------------------------------------------
# Conversion


def hyperparameter(config, key):
    value = config.get(key)
    if value is None:
        raise ConversionError(f"config.json has no {key}")
    return value


def check_config(config, path):
    architectures = config.get("architectures") or []
    if config.get("model_type") != "bert" and not BERT_ARCHITECTURES.intersection(architectures):
        raise ConversionError(f"{path} is not a BERT model (model_type {config.get('model_type')!r}, architectures "
                              f"{architectures}); this script converts BertModel checkpoints only")
    unsupported = set(architectures) - BERT_ARCHITECTURES
    if unsupported:
        raise ConversionError(f"{path}: architecture {sorted(unsupported)} is not supported (only a plain BERT "
                              "encoder; classification heads and other BERT variants need llama.cpp's converter)")
    if config.get("hidden_act", "gelu") != "gelu":
        raise ConversionError(f"{path}: hidden_act {config.get('hidden_act')!r} is not supported (Tern's BERT uses the "
                              "exact erf GELU, 'gelu'; the GGUF has no key to say otherwise)")
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ConversionError(f"{path}: position_embedding_type {config.get('position_embedding_type')!r} is not "
                              "supported (llama.cpp's BERT uses absolute learned positions)")


def convert(model_dir, outfile, outtype="f32", name=None, pooling=None, log=print):
    """Write the GGUF file of the BERT model in `model_dir` to `outfile` (atomically); return the tensor count."""
    if outtype not in ("f32", "f16"):
        raise ConversionError(f"unknown --outtype {outtype} (f32 or f16)")
    if not os.path.isdir(model_dir):
        raise ConversionError(f"{model_dir} is not a folder")
    config_path = os.path.join(model_dir, "config.json")
    config = read_json(config_path)
    check_config(config, config_path)
    blocks = hyperparameter(config, "num_hidden_layers")
    embedding = hyperparameter(config, "hidden_size")
    feed_forward = hyperparameter(config, "intermediate_size")
    heads = hyperparameter(config, "num_attention_heads")
    context = hyperparameter(config, "max_position_embeddings")
    vocab_size = hyperparameter(config, "vocab_size")
    type_vocab = config.get("type_vocab_size", 1)
    epsilon = config.get("layer_norm_eps", 1e-12)

    tokenizer_config = read_json(os.path.join(model_dir, "tokenizer_config.json"))
    sbert_config = read_json(os.path.join(model_dir, "sentence_bert_config.json"), required=False) or {}
    pool = pooling_type(model_dir, pooling)

    # Tokens, their types and the special ids.
    tokens = read_vocabulary(os.path.join(model_dir, "vocab.txt"), vocab_size)
    ids = {token: i for i, token in enumerate(tokens) if token is not None}
    special_ids = {}
    for key, default in SPECIAL_DEFAULTS.items():
        token = special_token_name(tokenizer_config.get(key, default))
        if token is None:
            continue
        if token not in ids:
            raise ConversionError(f"the {key} {token!r} of tokenizer_config.json is not in vocab.txt")
        special_ids[key] = ids[token]
    for key in ("cls_token", "sep_token", "unk_token"):
        if key not in special_ids:
            raise ConversionError(f"tokenizer_config.json names no {key}; a BERT tokenizer needs one")
    control = set(special_ids.values())
    user_defined = set()
    for id_text, added in (tokenizer_config.get("added_tokens_decoder") or {}).items():
        i = int(id_text)
        if i >= vocab_size:
            raise ConversionError(f"added token {added.get('content')!r} has id {i}, beyond vocab_size {vocab_size}")
        if tokens[i] is None:
            tokens[i] = added["content"]
        (control if added.get("special") else user_defined).add(i)
    token_list, token_types = [], []
    for i, token in enumerate(tokens):
        if token is None:
            token_list.append(f"[PAD{i}]")
            token_types.append(TokenType.UNUSED)
        elif i in control:
            token_list.append(token)
            token_types.append(TokenType.CONTROL)
        else:
            token_list.append(token[2:] if token.startswith("##") else PHANTOM_SPACE + token)
            token_types.append(TokenType.USER_DEFINED if i in user_defined else TokenType.NORMAL)
    lowercase = bool(tokenizer_config.get("do_lower_case", True)) or bool(sbert_config.get("do_lower_case", False))
    strip_accents = tokenizer_config.get("strip_accents")

    # Tensors, checked against the hyper-parameters.
    checkpoint = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    converted = {}
    for source, (kind, array) in checkpoint.items():
        target = gguf_name(source)
        if target is None:
            continue
        if target in converted:
            raise ConversionError(f"model.safetensors holds two tensors for {target}")
        converted[target] = (kind, array, source)
    expected = {
        "token_embd.weight": (vocab_size, embedding), "token_types.weight": (type_vocab, embedding),
        "position_embd.weight": (context, embedding),
        "token_embd_norm.weight": (embedding,), "token_embd_norm.bias": (embedding,),
    }
    for b in range(blocks):
        for part in ("attn_q", "attn_k", "attn_v", "attn_output"):
            expected[f"blk.{b}.{part}.weight"] = (embedding, embedding)
            expected[f"blk.{b}.{part}.bias"] = (embedding,)
        for part in ("attn_output_norm", "layer_output_norm"):
            expected[f"blk.{b}.{part}.weight"] = (embedding,)
            expected[f"blk.{b}.{part}.bias"] = (embedding,)
        expected[f"blk.{b}.ffn_up.weight"] = (feed_forward, embedding)
        expected[f"blk.{b}.ffn_up.bias"] = (feed_forward,)
        expected[f"blk.{b}.ffn_down.weight"] = (embedding, feed_forward)
        expected[f"blk.{b}.ffn_down.bias"] = (embedding,)
    missing = sorted(set(expected) - set(converted), key=natural_key)
    if missing:
        raise ConversionError(f"model.safetensors lacks {len(missing)} tensors of a {blocks}-block BERT: "
                              f"{', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}")
    extra = sorted(set(converted) - set(expected), key=natural_key)
    if extra:
        raise ConversionError(f"model.safetensors has tensors beyond num_hidden_layers {blocks}: {', '.join(extra[:6])}")
    for target, shape in expected.items():
        if tuple(converted[target][1].shape) != shape:
            raise ConversionError(f"tensor {target} has shape {list(converted[target][1].shape)}, expected "
                                  f"{list(shape)} from config.json")
    parameters = sum(int(np.prod(array.shape)) for _, array, _ in converted.values())

    name = name or os.path.basename(os.path.normpath(model_dir))
    file_type = LlamaFileType.ALL_F32 if outtype == "f32" else LlamaFileType.MOSTLY_F16
    folder = os.path.dirname(os.path.abspath(outfile))
    os.makedirs(folder, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(outfile) + ".", suffix=".partial")
    os.close(handle)
    try:
        writer = GGUFWriter(partial, ARCH)
        writer.add_type("model")
        writer.add_name(name)
        writer.add_size_label(size_label(parameters, parameters, 0, 0))
        writer.add_block_count(blocks)
        writer.add_context_length(context)
        writer.add_embedding_length(embedding)
        writer.add_feed_forward_length(feed_forward)
        writer.add_head_count(heads)
        writer.add_layer_norm_eps(epsilon)
        writer.add_file_type(file_type)
        writer.add_causal_attention(False)
        writer.add_pooling_type(pool)
        writer.add_quantization_version(GGML_QUANT_VERSION)
        writer.add_token_type_count(type_vocab)
        writer.add_tokenizer_model("bert")
        writer.add_tokenizer_pre("jina-v2-en")
        writer.add_token_list(token_list)
        writer.add_token_types(token_types)
        writer.add_bos_token_id(special_ids["cls_token"])
        writer.add_eos_token_id(special_ids["sep_token"])
        writer.add_unk_token_id(special_ids["unk_token"])
        writer.add_sep_token_id(special_ids["sep_token"])
        if "pad_token" in special_ids:
            writer.add_pad_token_id(special_ids["pad_token"])
        if "mask_token" in special_ids:
            writer.add_mask_token_id(special_ids["mask_token"])
        writer.add_add_bos_token(True)
        writer.add_add_eos_token(True)
        writer.add_add_sep_token(False)
        writer.add_bool("tokenizer.ggml.normalizer.lowercase", lowercase)
        if isinstance(strip_accents, bool):
            writer.add_bool("tokenizer.ggml.normalizer.strip_accents", strip_accents)

        # In the order of the checkpoint's names, as llama.cpp's converter writes them.
        for target in sorted(converted, key=lambda t: natural_key(converted[t][2])):
            kind, array, _ = converted[target]
            qtype = storage_type(target, array, outtype)
            data = as_float32(kind, array)
            data = data.astype(np.float16) if qtype == GGMLQuantizationType.F16 else data
            writer.add_tensor(target, data, raw_dtype=qtype)

        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, outfile)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
    log(f"wrote {outfile}: {len(converted)} tensors ({outtype}), {blocks} blocks, embedding {embedding}, "
        f"{vocab_size} tokens, pooling {pool.name.lower()}, lowercase {str(lowercase).lower()}")
    if "max_seq_length" in sbert_config:
        log(f"note: sentence-transformers truncates texts to {sbert_config['max_seq_length']} tokens; "
            f"the GGUF's context length is {context}")
    return len(converted)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", metavar="MODEL_DIR", help="the sentence-transformers folder (config.json, "
                        "model.safetensors, vocab.txt, tokenizer_config.json, 1_Pooling/config.json)")
    parser.add_argument("--outfile", required=True, metavar="OUT.gguf", help="the GGUF file to write")
    parser.add_argument("--outtype", choices=["f32", "f16"], default="f32",
                        help="f32 (default): every tensor in 32-bit floats; f16: the weight matrices in 16-bit floats")
    parser.add_argument("--name", help="general.name of the file (default: the folder's name)")
    parser.add_argument("--pooling", choices=["mean", "cls"],
                        help="the pooling to record, for a folder without 1_Pooling/config.json")
    args = parser.parse_args()
    try:
        convert(args.model_dir, args.outfile, args.outtype, args.name, args.pooling,
                log=lambda message: print(message, file=sys.stderr))
    except ConversionError as e:
        sys.exit(f"convert_bert_to_gguf.py: error: {e}")


if __name__ == "__main__":
    main()
