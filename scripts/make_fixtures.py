#!/usr/bin/env python3
"""Generate the PyTorch nn.RNN, nn.LSTM and nn.GRU reference fixtures used by the TypeScript tests.

Each case builds ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` from its config right after
``torch.manual_seed(seed)`` (so the weights are PyTorch's default init), draws the
input (and the initial state) from randn, runs the forward pass, draws the
cotangents ``d_output`` / ``d_h_n`` (LSTM: also ``d_c_n``) from randn, back-propagates

    RNN, GRU: loss = sum(output * d_output) + sum(h_n * d_h_n)
    LSTM:     loss = sum(output * d_output) + sum(h_n * d_h_n) + sum(c_n * d_c_n)

and writes one JSON file per case into ``fixtures/rnn/``, ``fixtures/lstm/`` or
``fixtures/gru/``. A file holds, in this order: ``name``, ``generator``, ``torch``,
``seed``, ``config`` (the module's keyword arguments; LSTM and GRU configs start
with ``"mode": "LSTM"`` / ``"GRU"``, and LSTM's always has ``proj_size``, 0 when
unused), ``loss``, ``state_dict`` (PyTorch's order), ``input``, ``h0`` (null when
not given), LSTM ``c0`` (given exactly when ``h0`` is), ``lengths`` (null unless
packed), ``output``, ``h_n``, LSTM ``c_n``, ``d_output``, ``d_h_n``, LSTM ``d_c_n``,
and ``grad``: every parameter, then ``input``, then ``h0`` (and LSTM ``c0``) when
given.

Every tensor is stored as ``{"shape": [...], "data": [...flat C-order...]}``
with float32 values written as the shortest decimal string that round-trips the
float32 value (parse as a double, then round to float32, as JavaScript's
``Math.fround`` / ``Float32Array`` do).

Case names. The grids, one file per combination:

    rnn:  grid_l{1,2,3}_{uni,bi}_{tanh,relu}_{bias,nobias}_{bf,tm}_{h0,noh0}_{batched,unbatched}
    gru:  grid_l{1,2}_{uni,bi}_{bias,nobias}_{bf,tm}_{h0,noh0}_{batched,unbatched}
    lstm: grid_l{1,2}_{uni,bi}_{bias,nobias}_{bf,tm}_{h0,noh0}_{batched,unbatched}_p{0,2}

``bf`` is batch_first, ``tm`` time-major; ``h0`` means the initial state is given
(for LSTM both h0 and c0); ``p`` is proj_size. The LSTM / GRU grids use input_size
5, hidden_size 3, proj_size 2, batch 8 and 7 steps (see gated_cases). Every
mode also has ``long_sequence`` (300 steps), ``wide_hidden`` (hidden_size 128) and
``packed_*`` cases named by their options in the same words (``max_lt_total``: the
longest sequence is shorter than the padded length); rnn also has the three
``seed_*`` scenarios of the original notebook.

Packed (variable-length) cases go through ``pack_padded_sequence(...,
enforce_sorted=False)`` / ``pad_packed_sequence(..., total_length=L)`` exactly as
a user would; the stored input is the full padded tensor with random values in
the padded positions.

The output is deterministic: running the script twice yields byte-identical
files. OpenBLAS picks its kernels by CPU and they round differently, so the script
pins ``OPENBLAS_CORETYPE=Haswell`` (the kernels the committed fixtures were made
with; they need AVX2) unless the variable is already set. Usage (from the
repository root):

    python3 scripts/make_fixtures.py            # writes fixtures/{rnn,lstm,gru}/*.json
    python3 scripts/make_fixtures.py --out DIR  # writes DIR/{rnn,lstm,gru}/*.json
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import zlib
from pathlib import Path

# Before numpy / torch load OpenBLAS, which reads it once (see the docstring).
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

try:
    import numpy as np
    import torch
except ImportError:  # e.g. `npm run fixtures` picking a python3 (pyenv, venv) without torch
    _SYSTEM_PY = "/usr/bin/python3"
    if os.path.exists(_SYSTEM_PY) and os.path.realpath(sys.executable) != os.path.realpath(_SYSTEM_PY):
        print(f"make_fixtures: torch not importable from {sys.executable}; re-running with {_SYSTEM_PY}",
              file=sys.stderr)
        os.execv(_SYSTEM_PY, [_SYSTEM_PY, os.path.abspath(__file__), *sys.argv[1:]])
    raise
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

GENERATOR = "scripts/make_fixtures.py"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "fixtures"
MODULES = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
LOSS = {
    "RNN": "sum(output * d_output) + sum(h_n * d_h_n)",
    "GRU": "sum(output * d_output) + sum(h_n * d_h_n)",
    "LSTM": "sum(output * d_output) + sum(h_n * d_h_n) + sum(c_n * d_c_n)",
}


# --------------------------------------------------------------------------
# Number / JSON formatting
# --------------------------------------------------------------------------

def fmt_f32(x: np.float32) -> str:
    """Shortest decimal string that round-trips the float32 value ``x``."""
    x = np.float32(x)
    if not np.isfinite(x):
        raise ValueError(f"non-finite value {x!r} cannot be written to JSON")
    if x == 0:
        return "-0" if np.signbit(x) else "0"
    pos = np.format_float_positional(x, unique=True, trim="-")
    sci = np.format_float_scientific(x, unique=True, trim="-")
    mant, exp = sci.split("e")
    sci = f"{mant}e{int(exp)}"
    s = pos if len(pos) <= len(sci) else sci
    # Same path as JavaScript: decimal -> nearest double -> nearest float32.
    if np.float32(float(s)) != x:
        raise AssertionError(f"float32 round-trip failed for {x!r} -> {s}")
    return s


def tensor_json(t: torch.Tensor) -> str:
    a = t.detach().cpu().contiguous().numpy()
    if a.dtype != np.float32:
        raise TypeError(f"expected float32, got {a.dtype}")
    shape = ", ".join(str(int(d)) for d in a.shape)
    data = ", ".join(fmt_f32(v) for v in a.reshape(-1))
    return f'{{"shape": [{shape}], "data": [{data}]}}'


def scalar_json(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)  # only used for config.dropout (0.0)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(scalar_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{scalar_json(k)}: {scalar_json(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def tensor_map_json(m: dict, indent: str) -> str:
    inner = indent + "  "
    rows = [f"{inner}{scalar_json(k)}: {tensor_json(v)}" for k, v in m.items()]
    return "{\n" + ",\n".join(rows) + "\n" + indent + "}"


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

def make_config(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                batch_first=False, bidirectional=False):
    return {
        "input_size": input_size,
        "hidden_size": hidden_size,
        "num_layers": num_layers,
        "nonlinearity": nonlinearity,
        "bias": bias,
        "batch_first": batch_first,
        "dropout": 0.0,
        "bidirectional": bidirectional,
    }


def gated_config(mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 bidirectional=False, proj_size=0):
    """Config of an nn.LSTM (mode "LSTM", always with proj_size) or an nn.GRU (mode "GRU")."""
    config = {
        "mode": mode,
        "input_size": input_size,
        "hidden_size": hidden_size,
        "num_layers": num_layers,
        "bias": bias,
        "batch_first": batch_first,
        "dropout": 0.0,
        "bidirectional": bidirectional,
    }
    if mode == "LSTM":
        config["proj_size"] = proj_size
    else:
        assert mode == "GRU" and proj_size == 0, (mode, proj_size)
    return config


def mode_of(config) -> str:
    """The config's "mode" ("LSTM" or "GRU"); "RNN" for the RNN configs, which have none."""
    return config.get("mode", "RNN")


def case(name, config, *, batch, length, h0="absent", lengths=None):
    """h0: "absent", "randn" or "zeros" (LSTM: c0 alike). batch=None means unbatched input."""
    assert h0 in ("absent", "randn", "zeros")
    if lengths is not None:
        assert batch is not None and len(lengths) == batch
        assert all(1 <= n <= length for n in lengths)
    return {"name": name, "config": config, "batch": batch, "length": length,
            "h0": h0, "lengths": lengths}


def rnn_cases():
    cases = []

    # 1. The three scenarios of the original notebook.
    cases.append(case("seed_single_batch_first", make_config(3, 4, batch_first=True),
                      batch=2, length=5))
    cases.append(case("seed_bidirectional",
                      make_config(3, 4, batch_first=True, bidirectional=True),
                      batch=1, length=4))
    cases.append(case("seed_zero_h0", make_config(2, 3, batch_first=True),
                      batch=2, length=3, h0="zeros"))

    # 2. The grid (3 * 2 * 2 * 2 * 2 * 2 * 2 = 192 cases).
    for layers, bi, nl, bias, bf, has_h0, batched in itertools.product(
            (1, 2, 3), (False, True), ("tanh", "relu"), (True, False),
            (True, False), (True, False), (True, False)):
        name = "grid_l{}_{}_{}_{}_{}_{}_{}".format(
            layers, "bi" if bi else "uni", nl, "bias" if bias else "nobias",
            "bf" if bf else "tm", "h0" if has_h0 else "noh0",
            "batched" if batched else "unbatched")
        cfg = make_config(3, 4, num_layers=layers, nonlinearity=nl, bias=bias,
                          batch_first=bf, bidirectional=bi)
        cases.append(case(name, cfg, batch=2 if batched else None, length=5,
                          h0="randn" if has_h0 else "absent"))

    # 3. Long sequence.
    cases.append(case("long_sequence", make_config(3, 8, batch_first=False),
                      batch=2, length=300, h0="randn"))

    # 4. Wide hidden state.
    cases.append(case("wide_hidden", make_config(16, 128, batch_first=True),
                      batch=2, length=6))

    # 5. Variable length (packed sequences, enforce_sorted=False).
    cases.append(case("packed_uni_l1_tanh_bf", make_config(3, 4, batch_first=True),
                      batch=4, length=5, lengths=[5, 2, 4, 1]))
    cases.append(case("packed_uni_l1_tanh_bf_longest_not_first",
                      make_config(3, 4, batch_first=True),
                      batch=4, length=5, lengths=[2, 5, 1, 4]))
    cases.append(case("packed_bi_l1_tanh_bf",
                      make_config(3, 4, batch_first=True, bidirectional=True),
                      batch=4, length=5, lengths=[3, 5, 1, 4]))
    cases.append(case("packed_bi_l2_relu_tm",
                      make_config(3, 4, num_layers=2, nonlinearity="relu",
                                  batch_first=False, bidirectional=True),
                      batch=4, length=5, lengths=[2, 4, 5, 1]))
    cases.append(case("packed_uni_l2_tanh_bf_h0",
                      make_config(3, 4, num_layers=2, batch_first=True),
                      batch=4, length=5, h0="randn", lengths=[4, 1, 5, 2]))
    cases.append(case("packed_bi_l2_tanh_tm_h0",
                      make_config(3, 4, num_layers=2, batch_first=False, bidirectional=True),
                      batch=4, length=5, h0="randn", lengths=[1, 5, 3, 4]))
    cases.append(case("packed_uni_l1_tanh_bf_nobias",
                      make_config(3, 4, bias=False, batch_first=True),
                      batch=4, length=5, lengths=[5, 2, 4, 1]))
    # The longest sequence is shorter than the padded length: pad_packed_sequence
    # with total_length=L pads the trailing step(s) of every sequence with zeros.
    cases.append(case("packed_uni_l1_tanh_tm_max_lt_total",
                      make_config(3, 4, batch_first=False),
                      batch=4, length=5, lengths=[3, 2, 4, 1]))
    return cases


def gated_cases(mode):
    """The LSTM or GRU cases. The grid and the packed cases use input_size 5, hidden_size 3,
    proj_size 2, batch 8 and 7 steps: all of these differ from each other and from the
    output and state widths (3, 6, 2, 4) and D * num_layers (1, 2, 4), so a mixed-up
    dimension fails. Small sizes: the weights and their gradients fill most of a file."""
    lstm = mode == "LSTM"
    I, H, P, N, L = 5, 3, 2, 8, 7

    def cfg(*args, **kwargs):
        return gated_config(mode, *args, **kwargs)

    cases = []

    # 1. The grid (2 * 2 * 2 * 2 * 2 * 2 = 64 cases, times proj_size {0, 2} for LSTM).
    for layers, bi, bias, bf, has_state, batched, proj in itertools.product(
            (1, 2), (False, True), (True, False), (True, False), (True, False),
            (True, False), (0, P) if lstm else (0,)):
        name = "grid_l{}_{}_{}_{}_{}_{}".format(
            layers, "bi" if bi else "uni", "bias" if bias else "nobias",
            "bf" if bf else "tm", "h0" if has_state else "noh0",
            "batched" if batched else "unbatched")
        if lstm:
            name += f"_p{proj}"
        config = cfg(I, H, num_layers=layers, bias=bias, batch_first=bf, bidirectional=bi,
                     proj_size=proj)
        cases.append(case(name, config, batch=N if batched else None, length=L,
                          h0="randn" if has_state else "absent"))

    # 2. Long sequence.
    cases.append(case("long_sequence", cfg(I, H), batch=2, length=300, h0="randn"))

    # 3. Wide hidden state.
    cases.append(case("wide_hidden", cfg(I, 128, batch_first=True), batch=2, length=6))

    # 4. Variable length (packed sequences, enforce_sorted=False).
    cases.append(case("packed_uni_l1_bf", cfg(I, H, batch_first=True),
                      batch=N, length=L, lengths=[7, 3, 5, 1, 6, 2, 4, 7]))
    cases.append(case("packed_bi_l1_tm", cfg(I, H, bidirectional=True),
                      batch=N, length=L, lengths=[3, 7, 1, 5, 2, 6, 4, 2]))
    cases.append(case("packed_uni_l2_bf_h0", cfg(I, H, num_layers=2, batch_first=True),
                      batch=N, length=L, h0="randn", lengths=[5, 1, 7, 2, 6, 3, 7, 4]))
    cases.append(case("packed_bi_l2_tm_h0", cfg(I, H, num_layers=2, bidirectional=True),
                      batch=N, length=L, h0="randn", lengths=[1, 7, 3, 6, 4, 2, 5, 7]))
    # The longest sequence is shorter than the padded length (see rnn_cases).
    cases.append(case("packed_uni_l1_tm_max_lt_total", cfg(I, H),
                      batch=N, length=L, lengths=[4, 2, 5, 1, 3, 5, 2, 4]))
    if lstm:
        cases.append(case("packed_uni_l1_bf_p2", cfg(I, H, batch_first=True, proj_size=P),
                          batch=N, length=L, lengths=[6, 2, 7, 1, 4, 3, 5, 7]))
        cases.append(case("packed_bi_l2_bf_h0_p2",
                          cfg(I, H, num_layers=2, batch_first=True, bidirectional=True,
                              proj_size=P),
                          batch=N, length=L, h0="randn", lengths=[2, 5, 7, 1, 3, 6, 4, 7]))
    else:
        cases.append(case("packed_uni_l1_bf_nobias", cfg(I, H, bias=False, batch_first=True),
                          batch=N, length=L, lengths=[7, 3, 5, 1, 6, 2, 4, 7]))
    return cases


def all_cases():
    cases = rnn_cases() + gated_cases("LSTM") + gated_cases("GRU")
    keys = [(mode_of(c["config"]), c["name"]) for c in cases]
    assert len(keys) == len(set(keys)), "duplicate case names"
    return cases


def seed_for(name: str) -> int:
    # Stable across runs, platforms and case reordering (unlike hash()).
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


# --------------------------------------------------------------------------
# Running one case
# --------------------------------------------------------------------------

def run_case(c):
    cfg = c["config"]
    mode = mode_of(cfg)
    lstm = mode == "LSTM"
    seed = seed_for(c["name"])
    torch.manual_seed(seed)
    # Default init U(-1/sqrt(H), 1/sqrt(H)) from this seed.
    rnn = MODULES[mode](**{k: v for k, v in cfg.items() if k != "mode"})
    state_dict = {k: v.detach().clone() for k, v in rnn.state_dict().items()}

    D = 2 if cfg["bidirectional"] else 1
    H = cfg["hidden_size"]
    H_out = cfg.get("proj_size", 0) or H  # h is projected to proj_size, c is not
    L = c["length"]
    N = c["batch"]
    bf = cfg["batch_first"]
    if N is None:  # unbatched: [L, H_in] whatever batch_first says
        in_shape = (L, cfg["input_size"])
        state_lead = (D * cfg["num_layers"],)
    else:
        in_shape = (N, L, cfg["input_size"]) if bf else (L, N, cfg["input_size"])
        state_lead = (D * cfg["num_layers"], N)
    h_shape = state_lead + (H_out,)
    c_shape = state_lead + (H,)

    x = torch.randn(*in_shape).requires_grad_()
    h0 = c0 = None
    if c["h0"] != "absent":
        draw = torch.randn if c["h0"] == "randn" else torch.zeros
        h0 = draw(*h_shape).requires_grad_()
        if lstm:
            c0 = draw(*c_shape).requires_grad_()
    hx = (h0, c0) if lstm and h0 is not None else h0

    lengths = c["lengths"]
    if lengths is None:
        output, h_n = rnn(x, hx)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths, dtype=torch.int64),
                                      batch_first=bf, enforce_sorted=False)
        out_packed, h_n = rnn(packed, hx)
        output, out_lengths = pad_packed_sequence(out_packed, batch_first=bf, total_length=L)
        assert out_lengths.tolist() == lengths
    c_n = None
    if lstm:
        h_n, c_n = h_n

    out_expected = tuple(in_shape[:-1]) + (D * H_out,)
    assert tuple(output.shape) == out_expected, (c["name"], output.shape, out_expected)
    assert tuple(h_n.shape) == h_shape, (c["name"], h_n.shape, h_shape)
    assert c_n is None or tuple(c_n.shape) == c_shape, (c["name"], c_n.shape, c_shape)

    d_output = torch.randn(*output.shape)
    d_h_n = torch.randn(*h_n.shape)
    loss = (output * d_output).sum() + (h_n * d_h_n).sum()
    d_c_n = None
    if lstm:
        d_c_n = torch.randn(*c_n.shape)
        loss = loss + (c_n * d_c_n).sum()
    loss.backward()

    grad = {}
    for pname, p in rnn.named_parameters():
        assert p.grad is not None, (c["name"], pname)
        grad[pname] = p.grad.detach().clone()
    grad["input"] = x.grad.detach().clone()
    if h0 is not None:
        grad["h0"] = h0.grad.detach().clone()
    if c0 is not None:
        grad["c0"] = c0.grad.detach().clone()

    if lengths is not None:
        # Sanity: padded steps of the output are zero, and so is the input gradient there.
        for b, n in enumerate(lengths):
            pad_out = output[b, n:] if bf else output[n:, b]
            pad_gx = grad["input"][b, n:] if bf else grad["input"][n:, b]
            assert torch.all(pad_out == 0) and torch.all(pad_gx == 0), c["name"]

    return {
        "seed": seed,
        "state_dict": state_dict,
        "input": x,
        "h0": h0,
        "c0": c0,
        "output": output,
        "h_n": h_n,
        "c_n": c_n,
        "d_output": d_output,
        "d_h_n": d_h_n,
        "d_c_n": d_c_n,
        "grad": grad,
    }


def fixture_text(c, r) -> str:
    mode = mode_of(c["config"])

    def field(key, text):
        return f'  {scalar_json(key)}: {text}'

    skipped = () if mode == "LSTM" else ("c0", "c_n", "d_c_n")  # the cell state is LSTM's only

    def tensors(*keys):
        return [field(k, "null" if r[k] is None else tensor_json(r[k]))
                for k in keys if k not in skipped]

    lines = [
        field("name", scalar_json(c["name"])),
        field("generator", scalar_json(GENERATOR)),
        field("torch", scalar_json(torch.__version__)),
        field("seed", str(r["seed"])),
        field("config", scalar_json(c["config"])),
        field("loss", scalar_json(LOSS[mode])),
        field("state_dict", tensor_map_json(r["state_dict"], "  ")),
        *tensors("input", "h0", "c0"),
        field("lengths", scalar_json(c["lengths"])),
        *tensors("output", "h_n", "c_n", "d_output", "d_h_n", "d_c_n"),
        field("grad", tensor_map_json(r["grad"], "  ")),
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="output directory, one subdirectory per mode: rnn/, lstm/, gru/ "
                         f"(default: {DEFAULT_OUT.relative_to(REPO_ROOT)} under the repository "
                         "root)")
    args = ap.parse_args(argv)
    out: Path = args.out.resolve()

    # Bit-for-bit reproducibility: single-threaded float32 CPU kernels.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    # Compute everything first so that a failure leaves the old fixtures in place.
    texts = {mode.lower(): [] for mode in MODULES}
    for c in all_cases():
        texts[mode_of(c["config"]).lower()].append(
            (c["name"], fixture_text(c, run_case(c)).encode("utf-8")))

    for subdir, files in texts.items():
        directory = out / subdir
        directory.mkdir(parents=True, exist_ok=True)
        # Remove stale fixtures (and temp files of an interrupted run) before writing.
        for p in sorted(directory.glob("*.json")) + sorted(directory.glob(".*.json.tmp")):
            p.unlink()

        total = 0
        for name, data in files:
            final = directory / f"{name}.json"
            tmp = directory / f".{name}.json.tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, final)
            total += len(data)

        try:
            shown = directory.relative_to(REPO_ROOT)
        except ValueError:
            shown = directory
        print(f"wrote {len(files)} fixtures to {shown} ({total} bytes, {total / 1e6:.2f} MB) "
              f"with torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
