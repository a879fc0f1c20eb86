#!/usr/bin/env python3
"""Generate the small files the `tfjs-rnn` command-line tests read (``fixtures/cli/``).

Everything here is written by real NumPy and PyTorch, so the TypeScript readers are checked
against the genuine formats rather than against the project's own writers:

* ``npy/``: ``np.save`` of float32 / float64 (C order), the version 2.0 header, and the
  kinds the reader must reject: big-endian ``>f4``, Fortran order, int16; plus int32 and
  int64 lengths. ``values.json`` holds the float64 values they were all made from.
* ``npz/``: ``np.savez`` (stored members) and ``np.savez_compressed`` (deflated members)
  of the same arrays ``input`` and ``h0``.
* ``model/``: one ``nn.RNN`` (2 layers, bidirectional, batch_first, tanh) after
  ``torch.manual_seed(0)``: ``config.json`` (its constructor arguments),
  ``weights.safetensors`` (its state_dict, written by hand with struct + json as the
  safetensors package would, ``__metadata__ = {"format": "pt"}``), ``input.npy``,
  ``h0.npy``, and PyTorch's ``output.npy`` / ``h_n.npy`` for them in eval mode; and the
  same run with variable lengths: ``lengths.npy`` (int64), ``packed_output.npy``,
  ``packed_h_n.npy`` (through ``pack_padded_sequence(..., enforce_sorted=False)``).
* ``lstm/``, ``lstm_proj/``, ``gru/``: the same for an ``nn.LSTM`` (2 layers, bidirectional,
  time-major; its ``config.json`` carries ``"mode": "LSTM"``), an ``nn.LSTM`` with
  ``proj_size=2`` (batch_first) and an ``nn.GRU`` (batch_first), whose ``config.json`` are
  their constructor arguments without a mode; each seeded with ``crc32(name)``. The LSTMs add
  ``c0.npy``, ``c_n.npy`` and ``packed_c_n.npy``.

The tests never run Python. Rerun only when the set of files changes, and commit the result:

    /usr/bin/python3 scripts/make_cli_fixtures.py [--out DIR]

OpenBLAS picks its kernels by CPU and they round differently, so the script pins
``OPENBLAS_CORETYPE=Haswell`` unless the variable is set, as ``make_fixtures.py`` does.
The .npy and safetensors files are byte-for-byte reproducible; the .npz archives carry the
zip entries' timestamps, so they differ from run to run in those bytes only.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import zlib
from pathlib import Path

# Before numpy / torch load OpenBLAS, which reads it once (see the docstring).
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "fixtures" / "cli"

CONFIG = {
    "input_size": 3,
    "hidden_size": 5,
    "num_layers": 2,
    "nonlinearity": "tanh",
    "bias": True,
    "batch_first": True,
    "dropout": 0.0,
    "bidirectional": True,
}
BATCH, SEQ = 4, 6
LENGTHS = [6, 2, 5, 1]

# nn.LSTM / nn.GRU models of the other modes: (module, constructor arguments, config.json).
MODE_MODELS = {
    "lstm": (nn.LSTM, {"input_size": 3, "hidden_size": 5, "num_layers": 2, "batch_first": False, "bidirectional": True}, {"mode": "LSTM"}),
    "lstm_proj": (nn.LSTM, {"input_size": 3, "hidden_size": 5, "num_layers": 2, "batch_first": True, "bidirectional": True, "proj_size": 2}, {}),
    "gru": (nn.GRU, {"input_size": 3, "hidden_size": 5, "num_layers": 2, "batch_first": True, "bidirectional": True}, {}),
}


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """The safetensors layout: u64 LE header length, JSON header (space-padded to 8 bytes), F32 data."""
    header: dict[str, object] = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))


def make_npy(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    values = np.array([[0.1, -2.5, 3.0], [1e-3, 7.25, -0.5]], dtype=np.float64)
    (out / "values.json").write_text(json.dumps(values.tolist()) + "\n")
    np.save(out / "float32.npy", values.astype(np.float32))
    np.save(out / "float64.npy", values)
    np.save(out / "big_endian.npy", values.astype(">f4"))
    np.save(out / "fortran.npy", np.asfortranarray(values.astype(np.float32)))
    np.save(out / "int16.npy", values.astype(np.int16))
    np.save(out / "lengths_int32.npy", np.array(LENGTHS, dtype=np.int32))
    np.save(out / "lengths_int64.npy", np.array(LENGTHS, dtype=np.int64))
    with open(out / "version2.npy", "wb") as file:
        np.lib.format.write_array(file, values.astype(np.float32), version=(2, 0))


def make_npz(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {
        "input": rng.standard_normal((SEQ, BATCH, 3)).astype(np.float32),
        "h0": rng.standard_normal((2, BATCH, 5)).astype(np.float32),
    }
    np.savez(out / "stored.npz", **arrays)
    np.savez_compressed(out / "compressed.npz", **arrays)
    for name, array in arrays.items():
        np.save(out / f"{name}.npy", array)


def make_model(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    rnn = nn.RNN(**CONFIG).eval()
    directions = 2 if CONFIG["bidirectional"] else 1
    x = torch.randn(BATCH, SEQ, CONFIG["input_size"])
    h0 = torch.randn(directions * CONFIG["num_layers"], BATCH, CONFIG["hidden_size"])
    with torch.no_grad():
        output, h_n = rnn(x, h0)
        lengths = torch.tensor(LENGTHS, dtype=torch.int64)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        packed_output, packed_h_n = rnn(packed, h0)
        packed_output, _ = pad_packed_sequence(packed_output, batch_first=True, total_length=SEQ)
    (out / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    write_safetensors(out / "weights.safetensors", dict(rnn.state_dict()), {"format": "pt"})
    arrays = {
        "input": x,
        "h0": h0,
        "output": output,
        "h_n": h_n,
        "packed_output": packed_output,
        "packed_h_n": packed_h_n,
    }
    for name, tensor in arrays.items():
        np.save(out / f"{name}.npy", tensor.numpy().astype(np.float32))
    np.save(out / "lengths.npy", lengths.numpy())


def make_mode_model(out: Path, name: str) -> None:
    """A model of ``MODE_MODELS``: config, weights, input, initial states and PyTorch's outputs, plain and packed."""
    module, args, extra = MODE_MODELS[name]
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(zlib.crc32(name.encode()) & 0x7FFFFFFF)
    model = module(**args).eval()
    is_lstm = module is nn.LSTM
    states = (2 if args["bidirectional"] else 1) * args["num_layers"]
    x = torch.randn(*((BATCH, SEQ) if args["batch_first"] else (SEQ, BATCH)), args["input_size"])
    h0 = torch.randn(states, BATCH, args.get("proj_size") or args["hidden_size"])
    c0 = torch.randn(states, BATCH, args["hidden_size"])
    hx = (h0, c0) if is_lstm else h0
    lengths = torch.tensor(LENGTHS, dtype=torch.int64)
    with torch.no_grad():
        output, final = model(x, hx)
        packed = pack_padded_sequence(x, lengths, batch_first=args["batch_first"], enforce_sorted=False)
        packed_output, packed_final = model(packed, hx)
        packed_output, _ = pad_packed_sequence(packed_output, batch_first=args["batch_first"], total_length=SEQ)
    (out / "config.json").write_text(json.dumps({**extra, **args}, indent=2) + "\n")
    write_safetensors(out / "weights.safetensors", dict(model.state_dict()), {"format": "pt"})
    (h_n, c_n), (packed_h_n, packed_c_n) = (final, packed_final) if is_lstm else ((final, None), (packed_final, None))
    arrays = {
        "input": x,
        "h0": h0,
        "c0": c0 if is_lstm else None,
        "output": output,
        "h_n": h_n,
        "c_n": c_n,
        "packed_output": packed_output,
        "packed_h_n": packed_h_n,
        "packed_c_n": packed_c_n,
    }
    for key, tensor in arrays.items():
        if tensor is not None:
            np.save(out / f"{key}.npy", tensor.numpy().astype(np.float32))
    np.save(out / "lengths.npy", lengths.numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args().out
    torch.set_num_threads(1)
    make_npy(out / "npy")
    make_npz(out / "npz")
    make_model(out / "model")
    for name in MODE_MODELS:
        make_mode_model(out / name, name)


if __name__ == "__main__":
    main()
