#!/usr/bin/env python3
"""Generate the PyTorch files (``torch.save``) the ``.pt`` reader is tested on: ``fixtures/pt/``.

Every file is written by real PyTorch (``torch.save``, ``torch.jit.save``); the few layouts
PyTorch 1.13 cannot write are rebuilt from its files with Python's ``zipfile``, member by member.

Readable files, their float32 values in ``expected.json`` (``{file: {key: {shape, data}}}``):

* ``rnn_float32.pt``, ``rnn_float64.pt``, ``rnn_float16.pt``, ``rnn_bfloat16.pt``: one
  ``nn.RNN(3, 4, num_layers=2, bidirectional=True)`` state_dict, ``.to(dtype)``; expected is
  ``.float()`` of each.
* ``gru_views.pt``: an ``nn.GRU(3, 4, num_layers=2, bidirectional=True)`` whose parameters are
  views into one flat buffer, as cuDNN keeps them on a GPU (``flatten_parameters``): one
  storage, each tensor at its own ``storage_offset``; the storage location rewritten to
  ``cuda:0`` in ``data.pkl``, as a GPU-trained file has it.
* ``rnn_noncontiguous.pt``: ``weight_ih_l0`` transposed twice (strides ``(1, rows)``) and
  ``weight_hh_l0`` a column slice of a wider tensor (row stride > columns, storage_offset 1).
* ``big_endian.pt``: ``weight_ih_l0`` float64, ``weight_hh_l0`` float32, ``bias_ih_l0`` float16,
  ``bias_hh_l0`` bfloat16, every storage byte-swapped and ``byteorder`` = ``big``, as a
  big-endian machine writes it.
* ``torch2_layout.pt``: ``rnn_float32.pt``'s members as PyTorch 2.x lays them out: folder
  ``archive``, ``.format_version`` (1), ``.storage_alignment`` (64), ``byteorder``, storages at
  multiples of 64 bytes (``FB`` padding extra fields), ``.data/serialization_id``.
* ``pytorch_model.bin``: the LSTM's state_dict saved as ``model.pt`` then renamed: its folder
  ``model`` is not the file's name.
* ``checkpoint.pt``: ``{"epoch": 3, "model": lstm.state_dict(), "optimizer": adam.state_dict()
  (after one step: step, exp_avg, exp_avg_sq tensors), "loss": 0.25, "name": "run-1",
  "big": 2**60, "neg_big": -2**70, "blob": b"\\x00\\xff", "dtype": torch.float16,
  "shape": torch.Size([2, 3]), "steps": torch.arange(4) (int64), "flags": [True, None],
  "nested": {"pair": (1, 2.5)}}``; expected is the model's state_dict.
* ``two_state_dicts.pt`` (``model`` and ``state_dict``), ``custom_key.pt`` (``{"weights": sd,
  "epoch": 1}``): state_dicts found only with a key.

``lstm_proj/``: ``nn.LSTM(3, 5, num_layers=2, proj_size=2, batch_first=True,
bidirectional=True)`` after ``torch.manual_seed``: ``config.json`` (its arguments),
``input.npy`` ``[4, 6, 3]``, and PyTorch's ``output.npy`` and ``h_n.npy`` for it in eval mode.
Its state_dict is ``pytorch_model.bin`` and ``checkpoint.pt``'s ``model``.

``whole_models/``: state_dicts of whole models, to find and select recurrent modules in:

* ``model.pt``: ``WholeModel`` (``Embedding(100, 16) -> nn.LSTM(16, 32, num_layers=2,
  batch_first=True) -> Linear(32, 5)``), ``torch.save(model.state_dict())``;
  ``data_parallel.pt``: ``{"epoch": 12, "model_state_dict": nn.DataParallel(model).state_dict()
  (keys module.*), "optimizer_state_dict": adam.state_dict()}``; ``compiled.pt``: its keys as
  ``torch.compile(model).state_dict()`` names them (``_orig_mod.*``; PyTorch 1.13 has no
  ``torch.compile``, so they are prefixed here). ``lstm_input.npy`` is ``model.embedding(ids)``
  for ids ``[3, 7]``, and ``lstm_output.npy``, ``lstm_h_n.npy``, ``lstm_c_n.npy`` what
  ``model.lstm`` returns for it (eval mode).
* ``seq2seq.pt``: ``Seq2Seq``, two recurrent modules: ``encoder.rnn`` ``nn.GRU(8, 12,
  bidirectional=True)`` beside ``encoder.embedding``, ``decoder.rnn`` ``nn.LSTM(24, 20,
  proj_size=6)`` beside ``decoder.norm`` (LayerNorm) and ``decoder.out`` (Linear without bias).
  ``encoder_input.npy`` ``[5, 2, 8]`` (time-major), ``encoder_output.npy``; the decoder run on
  the encoder's output: ``decoder_output.npy``, ``decoder_h_n.npy``.
* ``regressor.pt``: ``Regressor`` (``nn.RNN(4, 6, num_layers=2, nonlinearity="relu") ->
  Linear(6, 1)``, time-major): ``rnn_input.npy`` ``[9, 2, 4]``, ``rnn_output.npy``,
  ``rnn_h_n.npy`` (the relu the weights cannot tell).
* ``crnn.pt``: ``ConvRecurrent`` (``Conv1d(4, 8, 3) -> BatchNorm1d(8) -> nn.GRU(8, 16,
  batch_first=True) -> Linear(16, 3)``) after one training-mode pass, so that its BatchNorm
  holds running statistics and an int64 ``num_batches_tracked``: ``gru_input.npy`` ``[2, 8, 8]``
  (the BatchNorm's output, batch-first), ``gru_output.npy``, ``gru_h_n.npy``.
* ``nested.pt``: ``{"step": 5, "models": {"student": model.state_dict(), "teacher.ema": {"rnn":
  seq2seq.encoder.rnn.state_dict()}}}``: state_dicts two levels down, one under a key with a dot.

Refused files: ``legacy.pt`` (``_use_new_zipfile_serialization=False``), ``torchscript.pt``
(``torch.jit.save(torch.jit.script(gru))``), ``module.pt`` (``torch.save(gru)``),
``custom_module.pt`` (``torch.save(Net())``, a ``__main__.Net`` holding a GRU), ``system.pt``
(a state_dict beside an object whose ``__reduce__`` is ``os.system``: ``posix.system``),
``numpy_scalar.pt`` (a checkpoint with ``np.float64(0.9)``), ``complex.pt`` (complex64),
``int64_state_dict.pt``, ``bare_pickle.pt`` (``pickle.dump`` of a dict), ``short_storage.pt``
(a ``[3, 4]`` view whose storage's numel was patched to 8 and its record cut to 32 bytes).

``pickles.json``: Python's own pickles (``pickles[p]``: protocol p, 0 to 4, base64) of one dict
of plain values, and that ``value`` tagged (``{"int": "5"}``, ``{"tuple": [...]}``,
``{"dict": [[k, v], ...]}``, ...).

Deterministic (``torch.manual_seed``, one thread, zip timestamps fixed, OpenBLAS's Haswell
kernels pinned as ``make_fixtures.py`` does unless ``OPENBLAS_CORETYPE`` is set): two runs give
byte-identical files, but for ``legacy.pt`` (its storage keys are object ids) and
``torchscript.pt``. Usage, from the repository root:

    /usr/bin/python3 scripts/make_pt_fixtures.py [--out DIR]   # default fixtures/pt
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import pickle
import re
import shutil
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

# Before numpy / torch load OpenBLAS, which reads it once (see make_fixtures.py).
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "fixtures" / "pt"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------
# Saving and rebuilding archives
# --------------------------------------------------------------------------

def saved(obj, stem: str, **kwargs) -> bytes:
    """The bytes ``torch.save(obj, f"{stem}.pt")`` writes (its folder is ``stem``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}.pt"
        torch.save(obj, path, **kwargs)
        return path.read_bytes()


def members(archive: bytes) -> dict:
    """The members of a zip archive, name to bytes, in order."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def rezip(entries: dict, alignment: int = 1) -> bytes:
    """A zip of stored members, timestamps fixed; with ``alignment``, each member's data starts at a
    multiple of it (an ``FB`` padding extra field, as PyTorch's writer pads)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            if alignment > 1:
                header_end = buffer.tell() + 30 + len(name.encode()) + 4
                pad = -header_end % alignment
                info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
            z.writestr(info, data)
    return buffer.getvalue()


def folder_of(entries: dict) -> str:
    return next(iter(entries)).split("/")[0]


def swapped(data: bytes, item_size: int) -> bytes:
    """``data`` with every ``item_size``-byte element's bytes reversed."""
    return np.frombuffer(data, dtype=f"u{item_size}" if item_size > 1 else "u1").byteswap().tobytes()


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

def seeded(seed: int, make):
    torch.manual_seed(seed)
    return make()


def rnn_state() -> dict:
    return seeded(1, lambda: nn.RNN(3, 4, num_layers=2, bidirectional=True)).state_dict()


LSTM_ARGS = {"input_size": 3, "hidden_size": 5, "num_layers": 2, "bias": True, "batch_first": True,
             "dropout": 0.0, "bidirectional": True, "proj_size": 2}


def lstm_model() -> nn.LSTM:
    return seeded(2, lambda: nn.LSTM(**LSTM_ARGS)).eval()


def gru_views_state() -> dict:
    """A GRU whose parameters are views into one flat buffer, as cuDNN's flattened weights are."""
    gru = seeded(3, lambda: nn.GRU(3, 4, num_layers=2, bidirectional=True))
    params = list(gru.parameters())
    flat = torch.empty(sum(p.numel() for p in params))
    offset = 0
    with torch.no_grad():
        for p in params:
            n = p.numel()
            flat[offset:offset + n].copy_(p.reshape(-1))
            p.data = flat[offset:offset + n].view_as(p)
            offset += n
    return gru.state_dict()


def noncontiguous_state() -> dict:
    state = rnn_state()
    ih = state["weight_ih_l0"]
    state["weight_ih_l0"] = ih.t().contiguous().t()
    hh = state["weight_hh_l0"]
    wide = torch.cat([torch.full((hh.shape[0], 1), 7.0), hh, torch.full((hh.shape[0], 2), 9.0)], dim=1)
    state["weight_hh_l0"] = wide[:, 1:1 + hh.shape[1]]
    assert not state["weight_ih_l0"].is_contiguous() and not state["weight_hh_l0"].is_contiguous()
    assert state["weight_hh_l0"].storage_offset() == 1
    return state


def big_endian_state() -> dict:
    state = rnn_state()
    dtypes = {"weight_ih_l0": torch.float64, "weight_hh_l0": torch.float32, "bias_ih_l0": torch.float16, "bias_hh_l0": torch.bfloat16}
    return {key: state[key].to(dtypes[key]) for key in dtypes}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(2, 3)


class System:
    def __reduce__(self):
        return (os.system, ("echo this never runs",))


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------

def with_location(archive: bytes, location: str) -> bytes:
    entries = members(archive)
    pkl = f"{folder_of(entries)}/data.pkl"
    text = location.encode()
    entries[pkl] = entries[pkl].replace(b"X\x03\x00\x00\x00cpu", b"X" + struct.pack("<I", len(text)) + text)
    return rezip(entries)


def big_endian_archive(state: dict) -> bytes:
    entries = members(saved(state, "big_endian"))
    folder = folder_of(entries)
    tensors = list(state.values())
    records = [name for name in entries if name.startswith(f"{folder}/data/")]
    assert len(records) == len(tensors)
    for i, tensor in enumerate(tensors):
        name = f"{folder}/data/{i}"
        entries[name] = swapped(entries[name], tensor.element_size())
    out = {f"{folder}/data.pkl": entries.pop(f"{folder}/data.pkl"), f"{folder}/byteorder": b"big"}
    out.update(entries)
    return rezip(out)


def torch2_archive(archive: bytes) -> bytes:
    entries = members(archive)
    folder = folder_of(entries)
    renamed = {name.replace(f"{folder}/", "archive/", 1): data for name, data in entries.items()}
    out = {"archive/data.pkl": renamed.pop("archive/data.pkl"), "archive/.format_version": b"1",
           "archive/.storage_alignment": b"64", "archive/byteorder": b"little"}
    out.update(renamed)
    out["archive/.data/serialization_id"] = b"0123456789012345678901234567890123456789"
    return rezip(out, alignment=64)


def short_storage_archive() -> bytes:
    entries = members(saved({"weight": torch.arange(12.0).reshape(3, 4)}, "short_storage"))
    folder = folder_of(entries)
    pkl = f"{folder}/data.pkl"
    patched, count = re.subn(rb"(X\x03\x00\x00\x00cpuq.)K\x0c", lambda match: match.group(1) + b"K\x08", entries[pkl], count=1, flags=re.S)
    assert count == 1
    entries[pkl] = patched
    entries[f"{folder}/data/0"] = entries[f"{folder}/data/0"][:32]
    return rezip(entries)


def checkpoint(lstm: nn.LSTM) -> dict:
    optimizer = torch.optim.Adam(lstm.parameters(), lr=0.01)
    loss = lstm(torch.ones(1, 2, 3))[0].sum()
    loss.backward()
    optimizer.zero_grad(set_to_none=False)  # the step below updates the moments from zero gradients: the weights stay as saved
    optimizer.step()
    return {"epoch": 3, "model": lstm.state_dict(), "optimizer": optimizer.state_dict(), "loss": 0.25, "name": "run-1",
            "big": 2 ** 60, "neg_big": -2 ** 70, "blob": b"\x00\xff", "dtype": torch.float16, "shape": torch.Size([2, 3]),
            "steps": torch.arange(4), "flags": [True, None], "nested": {"pair": (1, 2.5)}}



class WholeModel(nn.Module):
    """The model users train: ``Embedding(100, 16) -> nn.LSTM(16, 32, num_layers=2, batch_first=True) -> Linear(32, 5)``."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(100, 16)
        self.lstm = nn.LSTM(16, 32, num_layers=2, batch_first=True)
        self.fc = nn.Linear(32, 5)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(50, 8)
        self.rnn = nn.GRU(8, 12, bidirectional=True)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(24, 20, proj_size=6)
        self.norm = nn.LayerNorm(6)
        self.out = nn.Linear(6, 50, bias=False)


class Seq2Seq(nn.Module):
    """Two recurrent modules: ``encoder.rnn`` (a bidirectional GRU) and ``decoder.rnn`` (an LSTM with proj_size)."""

    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()


class Regressor(nn.Module):
    """A time-major ReLU RNN regressor: ``nn.RNN(4, 6, num_layers=2, nonlinearity="relu") -> Linear(6, 1)``."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(4, 6, num_layers=2, nonlinearity="relu")
        self.head = nn.Linear(6, 1)


class ConvRecurrent(nn.Module):
    """``Conv1d(4, 8, 3) -> BatchNorm1d(8) -> nn.GRU(8, 16, batch_first=True) -> Linear(16, 3)``: a BatchNorm's int64 ``num_batches_tracked`` beside the GRU."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 3)
        self.bn = nn.BatchNorm1d(8)
        self.gru = nn.GRU(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(self.gru(self.bn(self.conv(x)).transpose(1, 2))[0])


def npy_bytes(tensor: torch.Tensor) -> bytes:
    npy = io.BytesIO()
    np.save(npy, tensor.detach().numpy().astype(np.float32))
    return npy.getvalue()


def whole_model_files() -> dict:
    """``whole_models/``: state_dicts of whole models, in checkpoints and wrappers, and what their recurrent modules compute."""
    files = {}
    model = seeded(7, WholeModel).eval()
    state = model.state_dict()
    files["whole_models/model.pt"] = saved(state, "model")
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    optimizer.zero_grad(set_to_none=False)
    optimizer.step()  # zero gradients: the moments exist, the weights stay as saved
    assert all(torch.equal(state[key], value) for key, value in model.state_dict().items())
    wrapped = nn.DataParallel(model).state_dict()
    assert all(key.startswith("module.") for key in wrapped)
    files["whole_models/data_parallel.pt"] = saved(
        {"epoch": 12, "model_state_dict": wrapped, "optimizer_state_dict": optimizer.state_dict()}, "data_parallel")
    # torch.compile (PyTorch 2.x) returns an OptimizedModule holding the model as _orig_mod: its state_dict's keys.
    files["whole_models/compiled.pt"] = saved({f"_orig_mod.{key}": value for key, value in state.items()}, "compiled")
    ids = seeded(8, lambda: torch.randint(0, 100, (3, 7)))
    with torch.no_grad():
        features = model.embedding(ids)
        output, (h_n, c_n) = model.lstm(features)
    for name, tensor in (("input", features), ("output", output), ("h_n", h_n), ("c_n", c_n)):
        files[f"whole_models/lstm_{name}.npy"] = npy_bytes(tensor)

    seq2seq = seeded(9, Seq2Seq).eval()
    seq2seq_state = seq2seq.state_dict()
    files["whole_models/seq2seq.pt"] = saved(seq2seq_state, "seq2seq")
    with torch.no_grad():
        encoder_input = seq2seq.encoder.embedding(seeded(10, lambda: torch.randint(0, 50, (5, 2))))
        encoder_output, _ = seq2seq.encoder.rnn(encoder_input)
        decoder_output, (decoder_h_n, _) = seq2seq.decoder.rnn(encoder_output)
    for name, tensor in (("encoder_input", encoder_input), ("encoder_output", encoder_output),
                         ("decoder_output", decoder_output), ("decoder_h_n", decoder_h_n)):
        files[f"whole_models/{name}.npy"] = npy_bytes(tensor)

    regressor = seeded(11, Regressor).eval()
    files["whole_models/regressor.pt"] = saved(regressor.state_dict(), "regressor")
    with torch.no_grad():
        series = seeded(12, lambda: torch.randn(9, 2, 4))
        rnn_output, rnn_h_n = regressor.rnn(series)
    for name, tensor in (("rnn_input", series), ("rnn_output", rnn_output), ("rnn_h_n", rnn_h_n)):
        files[f"whole_models/{name}.npy"] = npy_bytes(tensor)

    crnn = seeded(13, ConvRecurrent)
    crnn(seeded(14, lambda: torch.randn(4, 4, 10)))  # one training-mode pass: running statistics and num_batches_tracked move
    crnn.eval()
    files["whole_models/crnn.pt"] = saved(crnn.state_dict(), "crnn")
    with torch.no_grad():
        frames = crnn.bn(crnn.conv(seeded(15, lambda: torch.randn(2, 4, 10)))).transpose(1, 2)
        gru_output, gru_h_n = crnn.gru(frames)
    for name, tensor in (("gru_input", frames), ("gru_output", gru_output), ("gru_h_n", gru_h_n)):
        files[f"whole_models/{name}.npy"] = npy_bytes(tensor)

    files["whole_models/nested.pt"] = saved(
        {"step": 5, "models": {"student": state, "teacher.ema": {"rnn": seq2seq.encoder.rnn.state_dict()}}}, "nested")
    return files


def tensor_entry(t: torch.Tensor) -> dict:
    return {"shape": list(t.shape), "data": t.detach().float().double().reshape(-1).tolist()}


def expected_of(state: dict) -> dict:
    return {key: tensor_entry(t) for key, t in state.items()}


def tagged(value):
    """A Python value as JSON that keeps its type."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": value}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, list):
        return {"list": [tagged(v) for v in value]}
    if isinstance(value, tuple):
        return {"tuple": [tagged(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[tagged(k), tagged(v)] for k, v in value.items()]}
    raise TypeError(type(value))


def pickle_cases() -> dict:
    shared = [1, 2]
    value = {"int": 1, "neg": -5, "int2": 300, "int4": 70000, "neg4": -70000, "big": 2 ** 70, "neg_big": -2 ** 64,
             "float": 1.5, "neg_float": -0.1, "str": "héllo ✓", "empty_str": "", "bytes": b"\x00\xff\n",
             "list": [1, [2, 3]], "tuple": (1, "a"), "empty": (), "t1": (1,), "t2": (1, 2), "t3": (1, 2, 3), "t4": (1, 2, 3, 4),
             "none": None, "bools": [True, False], "nested": {"a": {"b": [()]}}, 5: "int key", "shared": [shared, shared],
             "long_list": list(range(1001))}
    return {"value": tagged(value), "pickles": [base64.b64encode(pickle.dumps(value, protocol=p)).decode() for p in range(5)]}


def build() -> dict:
    """Every fixture file, relative path to bytes."""
    files = {}
    expected = {}
    rnn = rnn_state()
    for name, dtype in (("float32", torch.float32), ("float64", torch.float64), ("float16", torch.float16), ("bfloat16", torch.bfloat16)):
        state = {key: t.to(dtype) for key, t in rnn.items()}
        files[f"rnn_{name}.pt"] = saved(state, f"rnn_{name}")
        expected[f"rnn_{name}.pt"] = expected_of(state)

    views = gru_views_state()
    views_archive = saved(views, "gru_views")
    assert len([n for n in members(views_archive) if "/data/" in n]) == 1
    files["gru_views.pt"] = with_location(views_archive, "cuda:0")
    expected["gru_views.pt"] = expected_of(views)

    noncontiguous = noncontiguous_state()
    files["rnn_noncontiguous.pt"] = saved(noncontiguous, "rnn_noncontiguous")
    expected["rnn_noncontiguous.pt"] = expected_of(noncontiguous)

    big = big_endian_state()
    files["big_endian.pt"] = big_endian_archive(big)
    expected["big_endian.pt"] = expected_of(big)

    files["torch2_layout.pt"] = torch2_archive(files["rnn_float32.pt"])
    expected["torch2_layout.pt"] = expected["rnn_float32.pt"]

    lstm = lstm_model()
    lstm_state = {key: t.clone() for key, t in lstm.state_dict().items()}
    files["pytorch_model.bin"] = saved(lstm.state_dict(), "model")
    expected["pytorch_model.bin"] = expected_of(lstm_state)
    x = seeded(4, lambda: torch.randn(4, 6, 3))
    with torch.no_grad():
        output, (h_n, _) = lstm(x)
    files["lstm_proj/config.json"] = (json.dumps(LSTM_ARGS) + "\n").encode()
    for name, array in (("input", x), ("output", output), ("h_n", h_n)):
        npy = io.BytesIO()
        np.save(npy, array.numpy().astype(np.float32))
        files[f"lstm_proj/{name}.npy"] = npy.getvalue()

    ckpt = checkpoint(lstm)
    assert all(torch.equal(ckpt["model"][key], lstm_state[key]) for key in lstm_state)
    files["checkpoint.pt"] = saved(ckpt, "checkpoint")
    expected["checkpoint.pt"] = expected_of(lstm_state)
    files["two_state_dicts.pt"] = saved({"model": rnn, "state_dict": views}, "two_state_dicts")
    files["custom_key.pt"] = saved({"weights": rnn, "epoch": 1}, "custom_key")
    expected["custom_key.pt"] = expected_of(rnn)

    gru = seeded(5, lambda: nn.GRU(2, 3))
    files["legacy.pt"] = saved(gru.state_dict(), "legacy", _use_new_zipfile_serialization=False)
    with tempfile.TemporaryDirectory() as tmp:
        torch.jit.save(torch.jit.script(gru), Path(tmp) / "torchscript.pt")
        files["torchscript.pt"] = (Path(tmp) / "torchscript.pt").read_bytes()
    files["module.pt"] = saved(gru, "module")
    files["custom_module.pt"] = saved(seeded(6, Net), "custom_module")
    files["system.pt"] = saved({"weight_ih_l0": torch.ones(2), "payload": System()}, "system")
    files["numpy_scalar.pt"] = saved({"model": rnn, "best_acc": np.float64(0.9)}, "numpy_scalar")
    files["complex.pt"] = saved({"weight_ih_l0": torch.zeros(2, 2, dtype=torch.complex64)}, "complex")
    files["int64_state_dict.pt"] = saved({"weight_ih_l0": torch.arange(6).reshape(2, 3)}, "int64_state_dict")
    files["bare_pickle.pt"] = pickle.dumps({"weight_ih_l0": [[1.0, 2.0]]}, protocol=2)
    files["short_storage.pt"] = short_storage_archive()

    files.update(whole_model_files())
    files["expected.json"] = (json.dumps(expected) + "\n").encode()
    files["pickles.json"] = (json.dumps(pickle_cases()) + "\n").encode()
    return files


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: fixtures/pt)")
    out: Path = parser.parse_args(argv).out.resolve()
    torch.set_num_threads(1)
    files = build()  # everything first, so that a failure leaves the old fixtures in place
    if out.exists():
        shutil.rmtree(out)
    for name, data in files.items():
        write_atomic(out / name, data)
    print(f"wrote {len(files)} files to {out} with torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
