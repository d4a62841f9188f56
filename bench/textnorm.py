"""openai-whisper's text normalizers, loaded without torch.

`import whisper.normalizers` normally runs whisper/__init__.py, which imports torch. Here we register a
stub package module named `whisper` whose __path__ is the installed package folder, so that importing
`whisper.normalizers` executes only normalizers/{__init__,basic,english}.py. They need only `regex` and
`more-itertools` (CI: scripts/setup-wer-venv).

The package folder is found, in order: $TESSERA_WHISPER_DIR (the folder holding normalizers/), the
`whisper` package on sys.path (found, not imported), then the repo's .venv-wer and .venv-ow.

Also: word error rate (WER) and character error rate (CER) by Levenshtein distance, no jiwer needed.
"""

from __future__ import annotations

import glob
import importlib
import importlib.util
import os
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Languages scored by characters (no spaces between words in their writing).
CER_LANGUAGES = {"zh", "ja", "ko", "th", "lo", "my", "yue"}


class NormalizerUnavailable(RuntimeError):
    pass


def _has_normalizers(folder: str | None) -> bool:
    return bool(folder) and os.path.isfile(os.path.join(folder, "normalizers", "english.py"))


def find_whisper_dir() -> str | None:
    env = os.environ.get("TESSERA_WHISPER_DIR")
    if env:
        return env if _has_normalizers(env) else None
    loaded = sys.modules.get("whisper")
    if loaded is not None and getattr(loaded, "__path__", None):
        folder = list(loaded.__path__)[0]
        if _has_normalizers(folder):
            return folder
    try:
        spec = importlib.util.find_spec("whisper")  # locates the package; does not run __init__
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            if _has_normalizers(folder):
                return folder
    for venv in (".venv-wer", ".venv-ow"):
        for folder in sorted(glob.glob(os.path.join(ROOT, venv, "lib", "python3*", "site-packages",
                                                    "whisper"))):
            if _has_normalizers(folder):
                return folder
    return None


def _load_module():
    if "whisper.normalizers" in sys.modules:
        return sys.modules["whisper.normalizers"]
    folder = find_whisper_dir()
    if folder is None:
        raise NormalizerUnavailable(
            "openai-whisper's normalizers not found: run scripts/setup-wer-venv "
            "(or set TESSERA_WHISPER_DIR to the installed whisper package folder)")
    for dep in ("regex", "more_itertools"):
        try:
            importlib.import_module(dep)
        except ImportError as e:
            raise NormalizerUnavailable(
                f"{dep} is not importable from {sys.executable}: run scripts/setup-wer-venv "
                "and use .venv-wer/bin/python") from e
    if "whisper" not in sys.modules:
        stub = types.ModuleType("whisper")
        stub.__path__ = [folder]
        stub.__file__ = os.path.join(folder, "__init__.py")
        stub.__package__ = "whisper"
        sys.modules["whisper"] = stub
    return importlib.import_module("whisper.normalizers")


_cache: dict[str, object] = {}


def normalizer(language: str):
    """EnglishTextNormalizer for English, BasicTextNormalizer otherwise (as openai-whisper scores).

    For CER languages the basic normalizer splits letters, as openai-whisper's evaluation does."""
    key = "en" if language == "en" else ("cer" if language in CER_LANGUAGES else "basic")
    if key not in _cache:
        mod = _load_module()
        if key == "en":
            _cache[key] = mod.EnglishTextNormalizer()
        else:
            _cache[key] = mod.BasicTextNormalizer(remove_diacritics=False, split_letters=False)
    return _cache[key]


def normalize(text: str, language: str) -> str:
    return normalizer(language)(text)


def units(text: str, language: str) -> list[str]:
    """Normalized words, or characters (spaces removed) for zh/ja/ko."""
    norm = normalize(text, language)
    if language in CER_LANGUAGES:
        return [c for c in norm if not c.isspace()]
    return norm.split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance (substitutions + deletions + insertions), O(len(ref)*len(hyp))."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def score(reference: str, hypothesis: str, language: str) -> tuple[int, int]:
    """(edits, reference units): WER units are words, CER units characters for zh/ja/ko."""
    ref = units(reference, language)
    hyp = units(hypothesis, language)
    return edit_distance(ref, hyp), len(ref)


def metric_name(language: str) -> str:
    return "CER" if language in CER_LANGUAGES else "WER"
