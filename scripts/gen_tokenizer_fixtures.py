#!/usr/bin/env python3
"""Writes tests/text/data/tiktoken_expected.json: what the `tiktoken` package (the library
openai-whisper's tokenizer is built on) gives for Whisper's vocabularies on real multilingual text.
tessera's C++ tokenizer tests compare against this file; tests/integration/test_tokenizer_tiktoken.py
regenerates it to check that it still matches tiktoken.

Needs `pip install tiktoken` (a venv is fine); works offline from the repo's assets/*.tiktoken.
Usage: gen_tokenizer_fixtures.py [--check]   (--check: compare instead of writing; exit 1 on a difference)
"""
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(REPO, "tests", "text", "data", "tiktoken_expected.json")

# openai-whisper's language order (whisper/tokenizer.py LANGUAGES); large-v3 adds "yue".
LANGUAGE_CODES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur "
    "hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si "
    "km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha "
    "ba jw su yue"
).split()
PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

# Hand-picked strings for the corners of pre-tokenization and BPE, next to the real transcripts.
EXTRA_TEXTS = [
    "Hello world",
    " Hello world!",
    "I'm sure they'll say we've done what it's worth, and he'd agree.",
    "SHOUTING'S 'RE 'Ve 'LL",
    "Numbers: 1234567890 3.14159 1,000,000 ٣٤٥ ⅷ ²",
    "a  b\n\nc \t d   ",
    "   leading spaces and trailing   ",
    "non\u00a0breaking\u3000ideographic\u2028line\u2029para\u0085nel",
    "mongolian\u180evowel separator",
    "emoji 🙂👍🏽 👨\u200d👩\u200d👧\u200d👦 family 🇩🇪",
    "combining e\u0301 cafe\u0301 n\u0303 a\u0308\u0304 \u1100\u1161\u11a8",
    "สวัสดีครับ ภาษาไทย",
    "مرحبا بالعالم، كيف حالك؟",
    "नमस्ते दुनिया",
    "שלום עולם",
    "Ελληνικά γράμματα",
    "♪ la la la ♪ ♩♫♬♭♮♯ ♪♪♪",
    "(SPEAKING FOREIGN LANGUAGE) [MUSIC] <<quote>> --- -( -[ ((( ))) {{ }}",
    "<|endoftext|> <|en|> <|0.00|> special text is ordinary here",
    "tab\tseparated\tvalues\r\nwindows line",
    "supercalifragilisticexpialidocious" * 40,
    "広州市房地産中介協会分析" * 30,
    "x" * 3000,
    " " * 500 + "y",
    "!!!???...,,,;;;" * 50,
    "",
]


def load_encodings():
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    encodings = {}
    for family, ranks_file, n_languages in [
        ("gpt2", "gpt2.tiktoken", 99),
        ("multilingual", "multilingual.tiktoken", 99),
        ("multilingual_v3", "multilingual.tiktoken", 100),
    ]:
        ranks = load_tiktoken_bpe(os.path.join(REPO, "assets", ranks_file))
        specials = ["<|endoftext|>", "<|startoftranscript|>"]
        specials += [f"<|{code}|>" for code in LANGUAGE_CODES[:n_languages]]
        specials += ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
                     "<|nospeech|>", "<|notimestamps|>"]
        specials += [f"<|{i * 0.02:.2f}|>" for i in range(1501)]
        special_tokens = {text: len(ranks) + i for i, text in enumerate(specials)}
        encodings[family] = tiktoken.Encoding(
            name=family,
            pat_str=PATTERN,
            mergeable_ranks=ranks,
            special_tokens=special_tokens,
            explicit_n_vocab=len(ranks) + len(specials),
        )
    return encodings


def non_speech_tokens(enc):
    """openai-whisper's Tokenizer.non_speech_tokens, computed with tiktoken."""
    symbols = list('"#()*+/:;<=>@[\\]^_`{|}~「」『』')
    symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split()
    miscellaneous = set("♩♪♫♬♭♮♯")
    result = {enc.encode(" -")[0], enc.encode(" '")[0]}
    for symbol in symbols + list(miscellaneous):
        for tokens in [enc.encode(symbol), enc.encode(" " + symbol)]:
            if len(tokens) == 1 or symbol in miscellaneous:
                result.add(tokens[0])
    return sorted(result)


def reference_texts():
    with open(os.path.join(REPO, "data", "references.json"), encoding="utf-8") as f:
        refs = json.load(f)
    texts = []
    for ref in refs:
        items = ref["reference"] if isinstance(ref["reference"], list) else [ref["reference"]]
        for text in items:
            for variant in (text, " " + text.strip()):  # Whisper's segment text starts with a space
                if variant not in texts:
                    texts.append(variant)
    return texts


def build():
    encodings = load_encodings()
    texts = reference_texts() + EXTRA_TEXTS
    out = {
        "generator": "scripts/gen_tokenizer_fixtures.py",
        "families": {},
        "encode": [],
        "decode_single_tokens": [],
    }
    for family, enc in encodings.items():
        n_ranks = enc.eot_token
        specials = sorted(enc._special_tokens.items(), key=lambda kv: kv[1])
        out["families"][family] = {
            "n_vocab": enc.n_vocab,
            "n_ranks": n_ranks,
            "special_tokens": [text for text, _ in specials],
            "non_speech_tokens": non_speech_tokens(enc),
        }
    for text in texts:
        out["encode"].append({
            "text": text,
            "gpt2": encodings["gpt2"].encode_ordinary(text),
            "multilingual": encodings["multilingual"].encode_ordinary(text),
        })
    # Each token decoded on its own (errors="replace"): characters split across tokens come out
    # as U+FFFD, exactly as tiktoken decodes them.
    enc = encodings["multilingual"]
    for text in texts:
        ids = enc.encode_ordinary(text)
        if any(ord(c) > 0x7F for c in text) and len(ids) <= 400:
            out["decode_single_tokens"].append({
                "ids": ids,
                "texts": [enc.decode([i]) for i in ids],
                "pairs": [enc.decode(ids[i:i + 2]) for i in range(0, len(ids), 2)],
            })
    return out


def dump(data):
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def main():
    text = dump(build())
    if "--check" in sys.argv[1:]:
        with open(FIXTURE, encoding="utf-8") as f:
            committed = f.read()
        if committed != text:
            print(f"{FIXTURE} differs from what tiktoken gives now; rerun {__file__}", file=sys.stderr)
            return 1
        print("tokenizer fixture matches tiktoken")
        return 0
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {FIXTURE} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
