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

The tests never run Python. Rerun only when the set of files changes, and commit the result:

    /usr/bin/python3 scripts/make_cli_fixtures.py [--out DIR]

The .npy and safetensors files are byte-for-byte reproducible; the .npz archives carry the
zip entries' timestamps, so they differ from run to run in those bytes only.
"""

from __future__ import annotations

import argparse
import json
import struct
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args().out
    torch.set_num_threads(1)
    make_npy(out / "npy")
    make_npz(out / "npz")
    make_model(out / "model")


if __name__ == "__main__":
    main()
