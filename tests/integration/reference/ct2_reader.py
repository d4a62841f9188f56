"""Independent reader for CTranslate2 ``model.bin`` files (faster-whisper models).

Written from the byte layout alone (no CTranslate2 code), so it can serve as a
reference for tessera's C++ loader. Every length is checked against the file
size before it is trusted. Returns NumPy arrays: float16/bfloat16/float32
become float64; int8 weights with a ``<name>_scale`` companion are dequantized
(real = q / scale, one scale per output row).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

# dtype id -> (name, item size)
_DTYPES = {
    0: ("float32", 4),
    1: ("int8", 1),
    2: ("int16", 2),
    3: ("int32", 4),
    4: ("float16", 2),
    5: ("bfloat16", 2),
}
_MAX_RANK = 8


class Ct2FormatError(ValueError):
    """The file is not a well-formed CTranslate2 model.bin."""


@dataclass
class RawVariable:
    name: str
    dtype: str
    shape: tuple
    data: bytes = field(repr=False)


class _Cursor:
    def __init__(self, buf: bytes, path: str):
        self.buf = buf
        self.pos = 0
        self.path = path

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.buf):
            raise Ct2FormatError(
                f"{self.path}: {what} needs {n} bytes at offset {self.pos}, "
                f"file has {len(self.buf)}")
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self, what):
        return self.take(1, what)[0]

    def u16(self, what):
        return struct.unpack("<H", self.take(2, what))[0]

    def u32(self, what):
        return struct.unpack("<I", self.take(4, what))[0]

    def string(self, what):
        n = self.u16(what + " length")
        if n == 0:
            raise Ct2FormatError(f"{self.path}: {what} has zero length (needs the NUL)")
        raw = self.take(n, what)
        if raw[-1] != 0:
            raise Ct2FormatError(f"{self.path}: {what} is not NUL-terminated")
        return raw[:-1].decode("utf-8")


def _bf16_to_f64(data: bytes, count: int) -> np.ndarray:
    u16 = np.frombuffer(data, dtype="<u2", count=count).astype(np.uint32)
    return (u16 << 16).view(np.float32).astype(np.float64)


def _decode(var: RawVariable) -> np.ndarray:
    count = int(np.prod(var.shape, dtype=np.int64)) if var.shape else 1
    if var.dtype == "bfloat16":
        arr = _bf16_to_f64(var.data, count)
    else:
        np_dtype = {"float32": "<f4", "int8": "i1", "int16": "<i2", "int32": "<i4",
                    "float16": "<f2"}[var.dtype]
        arr = np.frombuffer(var.data, dtype=np_dtype, count=count)
        arr = arr.astype(np.float64) if arr.dtype.kind == "f" else arr.copy()
    return arr.reshape(var.shape)


class Ct2Model:
    """Parsed model.bin: ``raw`` variables, ``aliases``, and float64 access via ``get``."""

    def __init__(self, path: str):
        self.path = path
        with open(path, "rb") as f:
            buf = f.read()
        cur = _Cursor(buf, path)
        self.binary_version = cur.u32("binary_version")
        if not 1 <= self.binary_version <= 6:
            raise Ct2FormatError(f"{path}: unsupported binary_version {self.binary_version}")
        self.spec_name, self.spec_revision = "", 0
        if self.binary_version >= 2:
            self.spec_name = cur.string("spec_name")
            self.spec_revision = cur.u32("spec_revision")
        num_vars = cur.u32("num_variables")
        # Each variable needs at least ~12 bytes; reject counts the file cannot hold.
        if num_vars > len(buf) // 8:
            raise Ct2FormatError(f"{path}: num_variables {num_vars} exceeds what the file can hold")
        self.raw: dict[str, RawVariable] = {}
        for i in range(num_vars):
            name = cur.string(f"variable {i} name")
            rank = cur.u8(f"{name} rank")
            if rank > _MAX_RANK:
                raise Ct2FormatError(f"{path}: {name} rank {rank} > {_MAX_RANK}")
            shape = tuple(cur.u32(f"{name} dim {d}") for d in range(rank))
            count = int(np.prod(shape, dtype=object)) if shape else 1
            if self.binary_version >= 4:
                dtype_id = cur.u8(f"{name} dtype")
                if dtype_id not in _DTYPES:
                    raise Ct2FormatError(f"{path}: {name} dtype id {dtype_id} out of range")
                dtype, item = _DTYPES[dtype_id]
                nbytes = cur.u32(f"{name} num_bytes")
            else:
                item = cur.u8(f"{name} item_size")
                if item not in (1, 2, 4):
                    raise Ct2FormatError(f"{path}: {name} item size {item} unsupported")
                dtype = {1: "int8", 2: "float16", 4: "float32"}[item]
                nbytes = item * cur.u32(f"{name} num_elements")
            if nbytes != count * item:
                raise Ct2FormatError(
                    f"{path}: {name} num_bytes {nbytes} != prod{shape} * {item}")
            data = cur.take(nbytes, f"{name} data")
            if name in self.raw:
                raise Ct2FormatError(f"{path}: duplicate variable {name}")
            self.raw[name] = RawVariable(name, dtype, shape, data)
        self.aliases: dict[str, str] = {}
        if self.binary_version >= 3:  # alias table present from version 3 on
            num_aliases = cur.u32("num_aliases")
            if num_aliases > len(buf) // 4:
                raise Ct2FormatError(f"{path}: num_aliases {num_aliases} too large")
            for i in range(num_aliases):
                alias = cur.string(f"alias {i}")
                target = cur.string(f"alias {i} target")
                self.aliases[alias] = target
        if cur.pos != len(buf):
            raise Ct2FormatError(f"{path}: {len(buf) - cur.pos} trailing bytes")
        self._cache: dict[str, np.ndarray] = {}

    def resolve(self, name: str) -> str:
        seen = set()
        while name in self.aliases and name not in self.raw:
            if name in seen:
                raise Ct2FormatError(f"{self.path}: alias cycle at {name}")
            seen.add(name)
            name = self.aliases[name]
        return name

    def __contains__(self, name: str) -> bool:
        return self.resolve(name) in self.raw

    def names(self):
        return list(self.raw) + list(self.aliases)

    def get(self, name: str) -> np.ndarray:
        """float64 (or integer, for int scalars) array; int8 weights dequantized."""
        real = self.resolve(name)
        if real in self._cache:
            return self._cache[real]
        if real not in self.raw:
            raise KeyError(f"{self.path}: no variable {name}")
        var = self.raw[real]
        arr = _decode(var)
        if var.dtype == "int8" and real + "_scale" in self.raw:
            scale = _decode(self.raw[real + "_scale"]).astype(np.float64)
            if scale.size != arr.shape[0]:
                raise Ct2FormatError(
                    f"{self.path}: {real}_scale has {scale.size} values for {arr.shape[0]} rows")
            arr = arr.astype(np.float64) / scale.reshape((-1,) + (1,) * (arr.ndim - 1))
        self._cache[real] = arr
        return arr

    def scalar(self, name: str) -> int:
        arr = self.get(name)
        if arr.size != 1:
            raise Ct2FormatError(f"{self.path}: {name} is not a scalar")
        return int(arr.reshape(-1)[0])

    def stored_dtype(self, name: str) -> str:
        return self.raw[self.resolve(name)].dtype


def load(path: str) -> Ct2Model:
    return Ct2Model(path)
