#!/usr/bin/env python3
"""Generate the fixtures of the tf.layers cells tfjs lacks (``src/layers/cells``) from real PyTorch.

``fixtures/keras/<case>/``: a Keras model with ``GRU(reset_after=True)`` as
``tensorflowjs_converter --input_format=keras`` writes it (``model.json``,
``group1-shard1of1.bin``), whose weights are a ``torch.nn.GRU``'s, and ``expected.json``: an
input and what the model predicts for it, computed by that ``torch.nn.GRU``.

* ``gru_sequential``: ``Sequential([GRU(4, return_sequences=True, input_shape=(5, 3))])``.
* ``gru_bidirectional``: functional, ``Input(shape=(None, 3))`` →
  ``Bidirectional(GRU(4, return_sequences=True), merge_mode="concat")``.

No TensorFlow is needed: the files are written as the converter writes them, following
``tensorflowjs/converters/keras_h5_conversion.py`` (``write_artifacts``: ``format``,
``generatedBy``, ``convertedBy``, ``modelTopology`` = ``{keras_version, backend, model_config}``,
``weightsManifest``, one ``json.dump`` without indentation) and ``write_weights.py`` (one group,
one shard ``group1-shard1of1.bin``: the float32 little-endian bytes of every weight in manifest
order; weights named as the HDF5 file names them, ``:0`` removed, e.g.
``bidirectional/forward_gru/gru_cell/kernel``). The layer configs are Keras 2.11's ``get_config``
(legacy serialization: ``{"class_name", "config"}``); the version strings are labels.

The Keras weights of a ``torch.nn.GRU`` direction (PyTorch rows r, z, n; Keras columns z, r, h):

    kernel           = [W_iz; W_ir; W_in]ᵀ        [H_in, 3H]
    recurrent_kernel = [W_hz; W_hr; W_hn]ᵀ        [H, 3H]
    bias             = [[b_iz, b_ir, b_in],
                        [b_hz, b_hr, b_hn]]       [2, 3H]  (row 0 input, row 1 recurrent)

``fixtures/cells/<case>.json``: ``torch.nn.GRU`` and ``torch.nn.LSTM(proj_size=P)`` runs with
initial states and variable lengths (``pack_padded_sequence(..., enforce_sorted=False)``), their
``state_dict``, the same weights in the cells' Keras layout (``keras``: one entry per direction),
input, ``h0`` (and ``c0``), ``lengths``, ``output``, ``h_n`` (and ``c_n``). LSTM (gate order i, f,
g, o is Keras's i, f, c, o):

    kernel = W_ihᵀ [H_in, 4H], recurrent_kernel = W_hhᵀ [P, 4H], bias = b_ih + b_hh [4H],
    projection_kernel = W_hrᵀ [H, P]

Every input is batch-major (``batch_first=True``). Tensors in JSON are ``{"shape", "data"}``
with float32 values as ``make_fixtures.py`` writes them; seeds are ``crc32(name)``; torch runs
single-threaded, so two runs give byte-identical files. Usage (from the repository root):

    /usr/bin/python3 scripts/make_keras_fixtures.py [--out DIR]   # writes DIR/keras, DIR/cells
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from make_fixtures import scalar_json, seed_for, tensor_json, tensor_map_json

GENERATOR = "scripts/make_keras_fixtures.py"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "fixtures"
KERAS_VERSION = "2.11.0"
CONVERTED_BY = "TensorFlow.js Converter v4.22.0"
WEIGHTS_FILE = "group1-shard1of1.bin"


# --------------------------------------------------------------------------
# PyTorch weights in Keras's layout
# --------------------------------------------------------------------------

def gru_blocks_to_keras(stacked: torch.Tensor) -> torch.Tensor:
    """PyTorch's row blocks r, z, n → Keras's order z, r, h (along dim 0)."""
    r, z, n = stacked.chunk(3, 0)
    return torch.cat([z, r, n], 0)


def gru_keras_weights(gru: nn.GRU, suffix: str) -> dict:
    """One direction of a ``torch.nn.GRU`` as Keras's ``GRUCell(reset_after=True)`` weights."""
    params = dict(gru.named_parameters())
    weights = {
        "kernel": gru_blocks_to_keras(params[f"weight_ih_l0{suffix}"]).t(),
        "recurrent_kernel": gru_blocks_to_keras(params[f"weight_hh_l0{suffix}"]).t(),
    }
    if gru.bias:
        weights["bias"] = torch.stack([gru_blocks_to_keras(params[f"bias_ih_l0{suffix}"]),
                                       gru_blocks_to_keras(params[f"bias_hh_l0{suffix}"])])
    return weights


def lstm_projection_keras_weights(lstm: nn.LSTM, suffix: str) -> dict:
    """One direction of a ``torch.nn.LSTM(proj_size=P)`` as ``LSTMProjectionCell`` weights."""
    params = dict(lstm.named_parameters())
    weights = {
        "kernel": params[f"weight_ih_l0{suffix}"].t(),
        "recurrent_kernel": params[f"weight_hh_l0{suffix}"].t(),
    }
    if lstm.bias:
        weights["bias"] = params[f"bias_ih_l0{suffix}"] + params[f"bias_hh_l0{suffix}"]
    weights["projection_kernel"] = params[f"weight_hr_l0{suffix}"].t()
    return weights


def direction_suffixes(module: nn.RNNBase) -> list:
    return ["", "_reverse"] if module.bidirectional else [""]


# --------------------------------------------------------------------------
# Keras 2 configs, as get_config() returns them
# --------------------------------------------------------------------------

def initializer(class_name: str, **config) -> dict:
    return {"class_name": class_name, "config": config}


def gru_config(name: str, units: int, return_sequences: bool, batch_input_shape=None) -> dict:
    """``keras.layers.GRU(units, return_sequences=...)``'s config, every other argument default."""
    config = {"name": name, "trainable": True}
    if batch_input_shape is not None:
        config["batch_input_shape"] = batch_input_shape
    config.update({
        "dtype": "float32",
        "return_sequences": return_sequences,
        "return_state": False,
        "go_backwards": False,
        "stateful": False,
        "unroll": False,
        "time_major": False,
        "units": units,
        "activation": "tanh",
        "recurrent_activation": "sigmoid",
        "use_bias": True,
        "kernel_initializer": initializer("GlorotUniform", seed=None),
        "recurrent_initializer": initializer("Orthogonal", gain=1.0, seed=None),
        "bias_initializer": initializer("Zeros"),
        "kernel_regularizer": None,
        "recurrent_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "recurrent_constraint": None,
        "bias_constraint": None,
        "dropout": 0.0,
        "recurrent_dropout": 0.0,
        "implementation": 2,
        "reset_after": True,
    })
    return {"class_name": "GRU", "config": config}


def input_layer_config(name: str, batch_input_shape: list) -> dict:
    return {"class_name": "InputLayer", "config": {
        "batch_input_shape": batch_input_shape, "dtype": "float32", "sparse": False,
        "ragged": False, "name": name}}


def sequential_gru_model_config(input_shape: tuple, units: int) -> dict:
    batch_input_shape = [None, *input_shape]
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        input_layer_config("gru_input", batch_input_shape),
        gru_config("gru", units, return_sequences=True, batch_input_shape=batch_input_shape),
    ]}}


def functional_bidirectional_gru_model_config(input_size: int, units: int) -> dict:
    bidirectional = {"class_name": "Bidirectional", "config": {
        "name": "bidirectional", "trainable": True, "dtype": "float32",
        "layer": gru_config("gru", units, return_sequences=True),
        "merge_mode": "concat"}}
    layers = [
        {**input_layer_config("input_1", [None, None, input_size]), "name": "input_1", "inbound_nodes": []},
        {**bidirectional, "name": "bidirectional", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
    ]
    return {"class_name": "Functional", "config": {
        "name": "model", "layers": layers,
        "input_layers": [["input_1", 0, 0]], "output_layers": [["bidirectional", 0, 0]]}}


# --------------------------------------------------------------------------
# Keras cases: model.json + weights as the converter writes them, expected.json
# --------------------------------------------------------------------------

def keras_gru_sequential():
    name, input_size, units, batch, length = "gru_sequential", 3, 4, 2, 5
    torch.manual_seed(seed_for(name))
    gru = nn.GRU(input_size, units, batch_first=True)
    model_config = sequential_gru_model_config((length, input_size), units)
    named_weights = [(f"gru/gru_cell/{key}", value) for key, value in gru_keras_weights(gru, "").items()]
    return name, gru, model_config, named_weights, (batch, length, input_size)


def keras_gru_bidirectional():
    name, input_size, units, batch, length = "gru_bidirectional", 3, 4, 2, 6
    torch.manual_seed(seed_for(name))
    gru = nn.GRU(input_size, units, batch_first=True, bidirectional=True)
    model_config = functional_bidirectional_gru_model_config(input_size, units)
    named_weights = [
        (f"bidirectional/{direction}_gru/gru_cell/{key}", value)
        for direction, suffix in (("forward", ""), ("backward", "_reverse"))
        for key, value in gru_keras_weights(gru, suffix).items()
    ]
    return name, gru, model_config, named_weights, (batch, length, input_size)


def converter_model_json(model_config: dict, named_weights: list) -> str:
    """``model.json`` as ``keras_h5_conversion.write_artifacts`` dumps it."""
    model_json = {
        "format": "layers-model",
        "generatedBy": f"keras v{KERAS_VERSION}",
        "convertedBy": CONVERTED_BY,
        "modelTopology": {"keras_version": KERAS_VERSION, "backend": "tensorflow", "model_config": model_config},
        "weightsManifest": [{"paths": [WEIGHTS_FILE], "weights": [
            {"name": name, "shape": list(value.shape), "dtype": "float32"} for name, value in named_weights]}],
    }
    return json.dumps(model_json)


def weights_bytes(named_weights: list) -> bytes:
    return b"".join(value.detach().contiguous().numpy().astype("<f4").tobytes() for _, value in named_weights)


def keras_case_files(case) -> dict:
    name, gru, model_config, named_weights, input_shape = case
    x = torch.randn(*input_shape)
    with torch.no_grad():
        output, _ = gru(x)
    expected = "\n".join([
        "{",
        f'  "name": {scalar_json(name)},',
        f'  "generator": {scalar_json(GENERATOR)},',
        f'  "torch": {scalar_json(torch.__version__)},',
        f'  "seed": {seed_for(name)},',
        f'  "state_dict": {tensor_map_json(gru.state_dict(), "  ")},',
        f'  "input": {tensor_json(x)},',
        f'  "output": {tensor_json(output)}',
        "}",
    ]) + "\n"
    return {
        "model.json": converter_model_json(model_config, named_weights).encode("utf-8"),
        WEIGHTS_FILE: weights_bytes(named_weights),
        "expected.json": expected.encode("utf-8"),
    }


# --------------------------------------------------------------------------
# Cell cases: PyTorch runs with initial states and lengths, weights in both layouts
# --------------------------------------------------------------------------

CELL_CASES = [
    # name, module, constructor arguments, batch, length, initial states, lengths
    ("gru_uni_h0", "GRU", dict(input_size=3, hidden_size=4), 2, 5, True, None),
    ("gru_uni_nobias", "GRU", dict(input_size=3, hidden_size=4, bias=False), 2, 5, False, None),
    ("gru_bi_h0_packed", "GRU", dict(input_size=3, hidden_size=4, bidirectional=True), 3, 5, True, [5, 2, 4]),
    ("lstm_proj_uni_h0", "LSTM", dict(input_size=3, hidden_size=5, proj_size=2), 2, 5, True, None),
    ("lstm_proj_uni_nobias", "LSTM", dict(input_size=3, hidden_size=5, proj_size=2, bias=False), 2, 5, False, None),
    ("lstm_proj_bi_h0_packed", "LSTM", dict(input_size=3, hidden_size=5, proj_size=2, bidirectional=True),
     3, 5, True, [5, 2, 4]),
]


def cell_case_text(name, kind, args, batch, length, has_h0, lengths) -> str:
    seed = seed_for(name)
    torch.manual_seed(seed)
    module = getattr(nn, kind)(**args, batch_first=True)
    directions = 2 if module.bidirectional else 1
    state_size = module.proj_size if kind == "LSTM" else module.hidden_size
    x = torch.randn(batch, length, module.input_size)
    h0 = torch.randn(directions, batch, state_size) if has_h0 else None
    c0 = torch.randn(directions, batch, module.hidden_size) if has_h0 and kind == "LSTM" else None
    initial = (h0, c0) if kind == "LSTM" and h0 is not None else h0
    with torch.no_grad():
        if lengths is None:
            output, final = module(x, initial)
        else:
            packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
            packed_output, final = module(packed, initial)
            output, _ = pad_packed_sequence(packed_output, batch_first=True, total_length=length)
    h_n, c_n = final if kind == "LSTM" else (final, None)
    to_keras = lstm_projection_keras_weights if kind == "LSTM" else gru_keras_weights
    keras = [to_keras(module, suffix) for suffix in direction_suffixes(module)]
    config = {**args, "batch_first": True}
    lines = [
        f'  "name": {scalar_json(name)}',
        f'  "generator": {scalar_json(GENERATOR)}',
        f'  "torch": {scalar_json(torch.__version__)}',
        f'  "seed": {seed}',
        f'  "module": {scalar_json(kind)}',
        f'  "config": {scalar_json(config)}',
        f'  "state_dict": {tensor_map_json(module.state_dict(), "  ")}',
        '  "keras": [\n' + ",\n".join(f"    {tensor_map_json(weights, '    ')}" for weights in keras) + "\n  ]",
        f'  "input": {tensor_json(x)}',
        f'  "h0": {"null" if h0 is None else tensor_json(h0)}',
        f'  "c0": {"null" if c0 is None else tensor_json(c0)}',
        f'  "lengths": {scalar_json(lengths)}',
        f'  "output": {tensor_json(output)}',
        f'  "h_n": {tensor_json(h_n)}',
        f'  "c_n": {"null" if c_n is None else tensor_json(c_n)}',
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="directory that receives keras/ and cells/ (default: fixtures/)")
    out: Path = parser.parse_args(argv).out.resolve()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    # Compute everything first so that a failure leaves the old fixtures in place.
    keras_cases = {case[0]: keras_case_files(case) for case in (keras_gru_sequential(), keras_gru_bidirectional())}
    cell_cases = {case[0]: cell_case_text(*case).encode("utf-8") for case in CELL_CASES}

    keras_dir, cells_dir = out / "keras", out / "cells"
    for stale in (keras_dir, cells_dir):
        if stale.exists():
            shutil.rmtree(stale)
    for name, files in keras_cases.items():
        (keras_dir / name).mkdir(parents=True)
        for file_name, data in files.items():
            write_atomic(keras_dir / name / file_name, data)
    cells_dir.mkdir(parents=True)
    for name, data in cell_cases.items():
        write_atomic(cells_dir / f"{name}.json", data)
    print(f"wrote {len(keras_cases)} Keras models to {keras_dir} and {len(cell_cases)} cell cases to {cells_dir} "
          f"with torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
