#!/usr/bin/env python3
"""Generate the PyTorch nn.RNN reference fixtures used by the TypeScript tests.

Each case builds ``torch.nn.RNN(**config)`` right after ``torch.manual_seed(seed)``
(so the weights are PyTorch's default init), draws the input (and h0) from randn,
runs the forward pass, draws ``d_output`` / ``d_h_n`` from randn, back-propagates

    loss = sum(output * d_output) + sum(h_n * d_h_n)

and writes one JSON file per case into ``fixtures/rnn/`` (or ``--out DIR``).

Every tensor is stored as ``{"shape": [...], "data": [...flat C-order...]}``
with float32 values written as the shortest decimal string that round-trips the
float32 value (parse as a double, then round to float32, as JavaScript's
``Math.fround`` / ``Float32Array`` do).

Packed (variable-length) cases go through ``pack_padded_sequence(...,
enforce_sorted=False)`` / ``pad_packed_sequence(..., total_length=L)`` exactly as
a user would; the stored input is the full padded tensor with random values in
the padded positions.

The output is deterministic: running the script twice yields byte-identical
files. Usage (from the repository root):

    python3 scripts/make_fixtures.py            # writes fixtures/rnn/*.json
    python3 scripts/make_fixtures.py --out DIR  # writes DIR/*.json
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import zlib
from pathlib import Path

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
LOSS = "sum(output * d_output) + sum(h_n * d_h_n)"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "fixtures" / "rnn"


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


def case(name, config, *, batch, length, h0="absent", lengths=None):
    """h0: "absent", "randn" or "zeros". batch=None means unbatched input."""
    assert h0 in ("absent", "randn", "zeros")
    if lengths is not None:
        assert batch is not None and len(lengths) == batch
        assert all(1 <= n <= length for n in lengths)
    return {"name": name, "config": config, "batch": batch, "length": length,
            "h0": h0, "lengths": lengths}


def all_cases():
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

    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    return cases


def seed_for(name: str) -> int:
    # Stable across runs, platforms and case reordering (unlike hash()).
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


# --------------------------------------------------------------------------
# Running one case
# --------------------------------------------------------------------------

def run_case(c):
    cfg = c["config"]
    seed = seed_for(c["name"])
    torch.manual_seed(seed)
    rnn = nn.RNN(**cfg)  # default init U(-1/sqrt(H), 1/sqrt(H)) from this seed
    state_dict = {k: v.detach().clone() for k, v in rnn.state_dict().items()}

    D = 2 if cfg["bidirectional"] else 1
    H = cfg["hidden_size"]
    L = c["length"]
    N = c["batch"]
    bf = cfg["batch_first"]
    if N is None:  # unbatched: [L, H_in] whatever batch_first says
        in_shape = (L, cfg["input_size"])
        h_shape = (D * cfg["num_layers"], H)
    else:
        in_shape = (N, L, cfg["input_size"]) if bf else (L, N, cfg["input_size"])
        h_shape = (D * cfg["num_layers"], N, H)

    x = torch.randn(*in_shape).requires_grad_()
    if c["h0"] == "randn":
        h0 = torch.randn(*h_shape).requires_grad_()
    elif c["h0"] == "zeros":
        h0 = torch.zeros(*h_shape).requires_grad_()
    else:
        h0 = None

    lengths = c["lengths"]
    if lengths is None:
        output, h_n = rnn(x, h0)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths, dtype=torch.int64),
                                      batch_first=bf, enforce_sorted=False)
        out_packed, h_n = rnn(packed, h0)
        output, out_lengths = pad_packed_sequence(out_packed, batch_first=bf, total_length=L)
        assert out_lengths.tolist() == lengths

    out_expected = tuple(in_shape[:-1]) + (D * H,)
    assert tuple(output.shape) == out_expected, (c["name"], output.shape, out_expected)
    assert tuple(h_n.shape) == h_shape, (c["name"], h_n.shape, h_shape)

    d_output = torch.randn(*output.shape)
    d_h_n = torch.randn(*h_n.shape)
    loss = (output * d_output).sum() + (h_n * d_h_n).sum()
    loss.backward()

    grad = {}
    for pname, p in rnn.named_parameters():
        assert p.grad is not None, (c["name"], pname)
        grad[pname] = p.grad.detach().clone()
    grad["input"] = x.grad.detach().clone()
    if h0 is not None:
        grad["h0"] = h0.grad.detach().clone()

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
        "output": output,
        "h_n": h_n,
        "d_output": d_output,
        "d_h_n": d_h_n,
        "grad": grad,
    }


def fixture_text(c, r) -> str:
    lines = [
        f'  "name": {scalar_json(c["name"])}',
        f'  "generator": {scalar_json(GENERATOR)}',
        f'  "torch": {scalar_json(torch.__version__)}',
        f'  "seed": {r["seed"]}',
        f'  "config": {scalar_json(c["config"])}',
        f'  "loss": {scalar_json(LOSS)}',
        f'  "state_dict": {tensor_map_json(r["state_dict"], "  ")}',
        f'  "input": {tensor_json(r["input"])}',
        f'  "h0": {"null" if r["h0"] is None else tensor_json(r["h0"])}',
        f'  "lengths": {scalar_json(c["lengths"])}',
        f'  "output": {tensor_json(r["output"])}',
        f'  "h_n": {tensor_json(r["h_n"])}',
        f'  "d_output": {tensor_json(r["d_output"])}',
        f'  "d_h_n": {tensor_json(r["d_h_n"])}',
        f'  "grad": {tensor_map_json(r["grad"], "  ")}',
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"output directory (default: {DEFAULT_OUT.relative_to(REPO_ROOT)} "
                         "under the repository root)")
    args = ap.parse_args(argv)
    out: Path = args.out.resolve()

    # Bit-for-bit reproducibility: single-threaded float32 CPU kernels.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    cases = all_cases()
    # Compute everything first so that a failure leaves the old fixtures in place.
    texts = [(c["name"], fixture_text(c, run_case(c)).encode("utf-8")) for c in cases]

    out.mkdir(parents=True, exist_ok=True)
    # Remove stale fixtures (and temp files of an interrupted run) before writing.
    for p in sorted(out.glob("*.json")) + sorted(out.glob(".*.json.tmp")):
        p.unlink()

    total = 0
    for name, data in texts:
        final = out / f"{name}.json"
        tmp = out / f".{name}.json.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, final)
        total += len(data)

    try:
        shown = out.relative_to(REPO_ROOT)
    except ValueError:
        shown = out
    print(f"wrote {len(cases)} fixtures to {shown} ({total} bytes, {total / 1e6:.2f} MB) "
          f"with torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
