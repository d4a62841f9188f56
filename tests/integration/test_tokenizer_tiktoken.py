#!/usr/bin/env python3
"""The committed tokenizer fixture (tests/text/data/tiktoken_expected.json, which the C++ tests
compare tessera's tokenizer against) must still be exactly what the `tiktoken` package gives, and,
where openai-whisper is installed, what openai-whisper's own Tokenizer gives (special-token layout,
non_speech_tokens, sot_sequence).

Needs tiktoken: when /usr/bin/python3 lacks it, a repo virtualenv (.venv*/bin/python) that has it is
used instead; with neither, the test is skipped (exit 77). Install: python3 -m venv .venv-text &&
.venv-text/bin/pip install tiktoken.
"""
import glob
import os
import subprocess
import sys

REPO = os.environ.get("TESSERA_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATOR = os.path.join(REPO, "scripts", "gen_tokenizer_fixtures.py")
FIXTURE = os.path.join(REPO, "tests", "text", "data", "tiktoken_expected.json")

# Run inside a Python that has openai-whisper: its tokenizers against the fixture.
WHISPER_CHECK = r"""
import importlib.util, json, sys, types
# whisper/__init__.py imports torch; the tokenizer module needs only tiktoken, so load the package
# as a bare namespace and import whisper.tokenizer from it (as bench/textnorm.py does).
if "torch" not in sys.modules and importlib.util.find_spec("torch") is None:
    spec = importlib.util.find_spec("whisper")
    pkg = types.ModuleType("whisper")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules["whisper"] = pkg
from whisper.tokenizer import get_tokenizer
fixture = json.load(open(sys.argv[1], encoding="utf-8"))
bad = []
for family, multilingual, n_languages in [("gpt2", False, 99), ("multilingual", True, 99),
                                          ("multilingual_v3", True, 100)]:
    fam = fixture["families"][family]
    tok = get_tokenizer(multilingual, num_languages=n_languages)
    specials = sorted(tok.special_tokens.items(), key=lambda kv: kv[1])
    if [t for t, _ in specials] != fam["special_tokens"] or specials[0][1] != fam["n_ranks"]:
        bad.append(family + ": special tokens")
    if list(tok.non_speech_tokens) != fam["non_speech_tokens"]:
        bad.append(family + ": non_speech_tokens")
    if tok.encoding.n_vocab != fam["n_vocab"]:
        bad.append(family + ": n_vocab")
for case in fixture["encode"]:
    for family, multilingual in [("gpt2", False), ("multilingual", True)]:
        if get_tokenizer(multilingual).encoding.encode_ordinary(case["text"]) != case[family]:
            bad.append(family + ": encode " + repr(case["text"][:40]))
print("\n".join(bad) if bad else "openai-whisper agrees with the fixture")
sys.exit(1 if bad else 0)
"""


def can_import(python, module):
    return subprocess.run([python, "-c", "import " + module], capture_output=True).returncode == 0


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


def main():
    pythons = [sys.executable] + sorted(glob.glob(os.path.join(REPO, ".venv*", "bin", "python")))
    python = next((p for p in pythons if can_import(p, "tiktoken")), None)
    if python is None:
        print("SKIP: tiktoken is not installed (pip install tiktoken)")
        return 77
    if run([python, GENERATOR, "--check"]) != 0:
        print("FAIL: tokenizer fixture does not match tiktoken")
        return 1
    whisper_python = next((p for p in pythons if can_import(p, "whisper.tokenizer")), None)
    if whisper_python is None:
        print("note: openai-whisper not installed; its Tokenizer was not compared")
    elif run([whisper_python, "-c", WHISPER_CHECK, FIXTURE]) != 0:
        print("FAIL: openai-whisper's Tokenizer disagrees with the fixture")
        return 1
    print(f"PASS: fixture matches tiktoken ({python})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
