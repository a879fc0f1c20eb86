#!/usr/bin/env python3
"""Generate the whole-model fixtures: real PyTorch model classes around nn.RNN, nn.LSTM and nn.GRU.

Each case is an ``nn.Module`` subclass written as people write them (an embedding, a recurrent
layer, a selection of its output, a head), built right after ``torch.manual_seed(seed)`` with
``seed = crc32(name) & 0x7fffffff``, run in eval mode on a random input, and written to
``fixtures/models/<name>/``:

* ``model.pt``: ``torch.save(model.state_dict())`` (the DataParallel case: a checkpoint, below);
* ``spec.json``: the model's forward pass as a tfjs-rnn model spec (``{"batch_first", "layers"}``);
* ``input.npy``: token ids (int64, the tagger's int32) or float32 features, in the model's layout;
* ``lengths.npy`` (int64) when the model packs its sequences (``pack_padded_sequence(...,
  enforce_sorted=False)``), ``output.npy`` (float32): what ``model(input[, lengths])`` returns;
* ``meta.json``: name, generator, torch version, seed, the model class and the files;
* for the classifier, the tagger, the pooled MLPs and the encoder/decoder, ``d_output.npy``
  (randn, drawn after everything else) and ``grad/<key>.npy``: each parameter's gradient of
  ``sum(output * d_output)`` in eval mode.

Cases:

* ``gru_classifier``: Embedding(20, 8, padding_idx=0) → GRU(8, 6, num_layers=2, bidirectional,
  dropout=0.2) over packed sequences → cat(h_n[-2], h_n[-1]) → Dropout(0.3) → Linear(12, 4).
* ``lstm_tagger``: Embedding(30, 8) → LSTM(8, 10, proj_size=4, num_layers=2, bidirectional) →
  Linear(8, 6) → log_softmax at every step; int32 ids.
* ``rnn_regressor``: time-major float features → RNN(3, 5, num_layers=2, nonlinearity='relu') →
  out[-1] → Sequential(Linear(5, 4), Tanh(), Linear(4, 1)).
* ``gru_norm_mlp``: packed float features → GRU(5, 8) → out[arange(N), lengths − 1] →
  LayerNorm(8, eps=1e-6) → Linear(8, 6) → GELU → Dropout(0.1) → Linear(6, 3) → softmax.
* ``gru_mean_mlp``: the same class pooling the mean over each sequence's valid steps, time-major.
* ``char_lm``: Embedding(V, 8) → LSTM(8, 16, num_layers=2) → Linear(16, V) logits at every
  step, trained briefly (Adam, 150 steps) on a short text of V distinct characters; ``prompt.npy`` is its input, and ``generated.npy`` ``[2, 20]`` (int64) its greedy
  continuation: argmax of the last step's logits fed back one token at a time with the state
  (``min_margin`` in meta.json: the smallest gap between the best and second-best logit on the way).
* ``gru_lm``: Embedding(V, 8) → GRU(8, 16) → Sequential(Linear(16, 12), Tanh(), Linear(12, V)) →
  log_softmax at every step, trained as ``char_lm``; ``generated.npy`` ``[2, 12]`` its greedy continuation.
* ``dataparallel_checkpoint``: a ``gru_classifier`` wrapped in ``nn.DataParallel``, saved as
  ``{'epoch': 7, 'model_state_dict': dp.state_dict() ('module.…' keys), 'optimizer_state_dict':
  Adam's after one step}``.
* ``encoder_decoder``: Embedding(16, 6) → encoder LSTM(6, 5, bidirectional) → decoder GRU(10, 7),
  both packed → max over valid steps → ReLU → Linear(7, 3) → Sigmoid. ``spec.json`` runs both
  recurrent modules in sequence; ``encoder.spec.json`` only the encoder, whose final hidden state
  (both directions) is ``encoder_output.npy``.

Deterministic: seeds from the names, one thread, OpenBLAS's Haswell kernels pinned as
``make_fixtures.py`` does (unless ``OPENBLAS_CORETYPE`` is set). Usage, from the repository root:

    /usr/bin/python3 scripts/make_model_fixtures.py [--out DIR] [--only CASE ...]   # default fixtures/models
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import zlib
from pathlib import Path

# Before numpy / torch load OpenBLAS, which reads it once (see make_fixtures.py).
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

GENERATOR = "scripts/make_model_fixtures.py"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "fixtures" / "models"


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def run_packed(module: nn.Module, x: torch.Tensor, lengths: torch.Tensor, batch_first: bool):
    """``module`` over packed sequences; the output padded back to the input's length (zeros past each end)."""
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
    out, state = module(packed)
    out, _ = pad_packed_sequence(out, batch_first=batch_first, total_length=x.shape[1 if batch_first else 0])
    return out, state


# --------------------------------------------------------------------------
# Model classes
# --------------------------------------------------------------------------

class GRUClassifier(nn.Module):
    def __init__(self, vocab=20, embedding_dim=8, hidden=6, classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding_dim, padding_idx=0)
        self.gru = nn.GRU(embedding_dim, hidden, num_layers=2, batch_first=True, bidirectional=True, dropout=0.2)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, ids, lengths):
        _, h_n = run_packed(self.gru, self.embedding(ids), lengths, batch_first=True)
        return self.fc(self.dropout(torch.cat([h_n[-2], h_n[-1]], dim=1)))


GRU_CLASSIFIER_SPEC = {"batch_first": True, "layers": [
    {"type": "Embedding", "name": "embedding"},
    {"type": "GRU", "name": "gru", "dropout": 0.2},
    {"type": "FinalHidden"},
    {"type": "Dropout", "p": 0.3},
    {"type": "Linear", "name": "fc"},
]}


class LSTMTagger(nn.Module):
    def __init__(self, vocab=30, embedding_dim=8, hidden=10, proj=4, tags=6):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden, num_layers=2, proj_size=proj, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * proj, tags)

    def forward(self, ids):
        out, _ = self.lstm(self.embedding(ids))
        return F.log_softmax(self.fc(out), dim=-1)


class RNNRegressor(nn.Module):
    def __init__(self, features=3, hidden=5):
        super().__init__()
        self.rnn = nn.RNN(features, hidden, num_layers=2, nonlinearity="relu")
        self.head = nn.Sequential(nn.Linear(hidden, 4), nn.Tanh(), nn.Linear(4, 1))

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


class GRUPooledMLP(nn.Module):
    """GRU → pooling over each sequence's valid steps (``last`` or ``mean``) → LayerNorm → MLP → softmax."""

    def __init__(self, pool, batch_first, features=5, hidden=8, classes=3):
        super().__init__()
        self.pool, self.batch_first = pool, batch_first
        self.gru = nn.GRU(features, hidden, batch_first=batch_first)
        self.norm = nn.LayerNorm(hidden, eps=1e-6)
        self.fc1 = nn.Linear(hidden, 6)
        self.dropout = nn.Dropout(0.1)
        self.fc2 = nn.Linear(6, classes)

    def forward(self, x, lengths):
        out, _ = run_packed(self.gru, x, lengths, self.batch_first)
        if not self.batch_first:
            out = out.transpose(0, 1)
        if self.pool == "last":
            pooled = out[torch.arange(out.shape[0]), lengths - 1]
        else:
            pooled = out.sum(dim=1) / lengths.unsqueeze(1).to(out.dtype)
        h = self.dropout(F.gelu(self.fc1(self.norm(pooled))))
        return F.softmax(self.fc2(h), dim=-1)


def pooled_spec(pool: str, batch_first: bool) -> dict:
    return {"batch_first": batch_first, "layers": [
        {"type": "GRU", "name": "gru"},
        {"type": pool},
        {"type": "LayerNorm", "name": "norm", "eps": 1e-6},
        {"type": "Linear", "name": "fc1"},
        {"type": "GELU"},
        {"type": "Dropout", "p": 0.1},
        {"type": "Linear", "name": "fc2"},
        {"type": "Softmax", "dim": -1},
    ]}


class CharLM(nn.Module):
    def __init__(self, vocab=12, embedding_dim=8, hidden=16):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden, num_layers=2, batch_first=True)
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, ids, state=None):
        out, state = self.lstm(self.embedding(ids), state)
        return self.fc(out), state

    @torch.no_grad()
    def greedy(self, prompt, steps):
        """The argmax of the last step's logits, fed back one token at a time; and the smallest top-2 gap seen."""
        logits, state = self(prompt)
        tokens, margin = [], float("inf")
        for _ in range(steps):
            last = logits[:, -1]
            top = last.topk(2, dim=-1).values
            margin = min(margin, float((top[:, 0] - top[:, 1]).min()))
            token = last.argmax(dim=-1)
            tokens.append(token)
            logits, state = self(token.unsqueeze(1), state)
        return torch.stack(tokens, dim=1), margin


class GRULM(CharLM):
    """Embedding → GRU → Linear → Tanh → Linear → log_softmax: a language model with a hidden head."""

    def __init__(self, vocab=12, embedding_dim=8, hidden=16, head=12):
        nn.Module.__init__(self)
        self.embedding = nn.Embedding(vocab, embedding_dim)
        self.gru = nn.GRU(embedding_dim, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, head), nn.Tanh(), nn.Linear(head, vocab))

    def forward(self, ids, state=None):
        out, state = self.gru(self.embedding(ids), state)
        return F.log_softmax(self.head(out), dim=-1), state


class EncoderDecoder(nn.Module):
    def __init__(self, vocab=16, embedding_dim=6, hidden=5, decoder_hidden=7, classes=3):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding_dim)
        self.encoder = nn.LSTM(embedding_dim, hidden, batch_first=True, bidirectional=True)
        self.decoder = nn.GRU(2 * hidden, decoder_hidden, batch_first=True)
        self.out = nn.Linear(decoder_hidden, classes)

    def encode(self, ids, lengths):
        """The encoder's final hidden state, both directions: ``[N, 2·hidden]``."""
        _, (h_n, _) = run_packed(self.encoder, self.embedding(ids), lengths, batch_first=True)
        return torch.cat([h_n[-2], h_n[-1]], dim=1)

    def forward(self, ids, lengths):
        encoded, _ = run_packed(self.encoder, self.embedding(ids), lengths, batch_first=True)
        decoded, _ = run_packed(self.decoder, encoded, lengths, batch_first=True)
        valid = torch.arange(ids.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
        pooled = decoded.masked_fill(~valid.unsqueeze(2), float("-inf")).max(dim=1).values
        return torch.sigmoid(self.out(F.relu(pooled)))


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

class Case:
    """The files of one case, collected before anything is written."""

    def __init__(self, name: str, model: nn.Module, description: str):
        self.name, self.model, self.description = name, model, description
        self.files: dict[str, bytes] = {}
        self.meta: dict = {}

    def npy(self, name: str, array: np.ndarray) -> None:
        import io
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array))
        self.files[f"{name}.npy"] = buffer.getvalue()

    def floats(self, name: str, tensor: torch.Tensor) -> None:
        self.npy(name, tensor.detach().numpy().astype(np.float32))

    def gradients(self, output: torch.Tensor) -> None:
        """``d_output.npy`` (randn, drawn last) and ``grad/<key>.npy``: every parameter's gradient of
        ``sum(output * d_output)``, the model in eval mode."""
        d_output = torch.randn(output.shape)
        self.model.zero_grad()
        (output * d_output).sum().backward()
        self.floats("d_output", d_output)
        for key, parameter in self.model.named_parameters():
            self.floats(f"grad/{key}", parameter.grad)

    def json(self, name: str, value) -> None:
        self.files[name] = (json.dumps(value, indent=2) + "\n").encode()

    def saved(self, obj) -> None:
        import io
        buffer = io.BytesIO()
        torch.save(obj, buffer)
        self.files["model.pt"] = buffer.getvalue()

    def finish(self) -> dict:
        self.json("meta.json", {
            "name": self.name,
            "generator": GENERATOR,
            "torch": torch.__version__,
            "seed": seed_of(self.name),
            "model": type(self.model).__name__,
            "description": self.description,
            **self.meta,
            "files": sorted([*self.files, "meta.json"]),
        })
        return self.files


def ids(shape, vocab, low=0) -> torch.Tensor:
    return torch.randint(low, vocab, shape, dtype=torch.int64)


def gru_classifier(name="gru_classifier") -> dict:
    torch.manual_seed(seed_of(name))
    model = GRUClassifier().eval()
    lengths = torch.tensor([7, 3, 5, 1, 6], dtype=torch.int64)
    x = ids((5, 7), 20, low=1)
    x[torch.arange(7).unsqueeze(0) >= lengths.unsqueeze(1)] = 0  # padding_idx past each end
    y = model(x, lengths)
    case = Case(name, model, "packed bidirectional GRU classifier (FinalHidden)")
    case.saved(model.state_dict())
    case.json("spec.json", GRU_CLASSIFIER_SPEC)
    case.npy("input", x.numpy())
    case.npy("lengths", lengths.numpy())
    case.floats("output", y)
    case.gradients(y)
    return case.finish()


def lstm_tagger(name="lstm_tagger") -> dict:
    torch.manual_seed(seed_of(name))
    model = LSTMTagger().eval()
    x = ids((3, 6), 30)
    y = model(x)
    case = Case(name, model, "bidirectional LSTM (proj_size) tagger, log_softmax at every step")
    case.saved(model.state_dict())
    case.json("spec.json", {"batch_first": True, "layers": [
        {"type": "Embedding", "name": "embedding"},
        {"type": "LSTM", "name": "lstm"},
        {"type": "Linear", "name": "fc"},
        {"type": "LogSoftmax", "dim": -1},
    ]})
    case.npy("input", x.numpy().astype(np.int32))
    case.floats("output", y)
    case.gradients(y)
    return case.finish()


def rnn_regressor(name="rnn_regressor") -> dict:
    torch.manual_seed(seed_of(name))
    model = RNNRegressor().eval()
    x = torch.randn(8, 4, 3)  # [L, N, features]: time-major
    with torch.no_grad():
        y = model(x)
    case = Case(name, model, "time-major ReLU RNN regressor (Last)")
    case.saved(model.state_dict())
    case.json("spec.json", {"batch_first": False, "layers": [
        {"type": "RNN", "name": "rnn", "nonlinearity": "relu"},
        {"type": "Last"},
        {"type": "Linear", "name": "head.0"},
        {"type": "Tanh"},
        {"type": "Linear", "name": "head.2"},
    ]})
    case.floats("input", x)
    case.floats("output", y)
    return case.finish()


def gru_pooled(name: str, pool: str, batch_first: bool) -> dict:
    torch.manual_seed(seed_of(name))
    model = GRUPooledMLP(pool.lower(), batch_first).eval()
    lengths = torch.tensor([4, 7, 2, 5], dtype=torch.int64)
    x = torch.randn(*((4, 7) if batch_first else (7, 4)), 5)
    y = model(x, lengths)
    layout = "batch-first" if batch_first else "time-major"
    case = Case(name, model, f"{layout} packed GRU → {pool} → LayerNorm → MLP → softmax")
    case.saved(model.state_dict())
    case.json("spec.json", pooled_spec(pool, batch_first))
    case.floats("input", x)
    case.npy("lengths", lengths.numpy())
    case.floats("output", y)
    case.gradients(y)
    return case.finish()


TEXT = "the cat sat on the mat. the rat ate a hat. "


def train_on_text(model: nn.Module, loss, vocab) -> None:
    """A short training run on TEXT (Adam, 150 steps), so that continuations are text-like and their argmax clear-cut; then eval mode."""
    encoded = torch.tensor([vocab.index(c) for c in TEXT * 4], dtype=torch.int64)
    windows = encoded.unfold(0, 17, 3)  # [W, 17]: inputs and next-character targets
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        optimizer.zero_grad()
        outputs, _ = model(windows[:, :-1])
        loss(outputs.reshape(-1, len(vocab)), windows[:, 1:].reshape(-1)).backward()
        optimizer.step()
    model.eval()


def language_model_case(name, model, vocab, prompts, steps, description, spec) -> dict:
    """A language model's case: its output on the prompts, and its greedy continuation of them."""
    prompt = torch.tensor([[vocab.index(c) for c in text] for text in prompts], dtype=torch.int64)
    with torch.no_grad():
        output, _ = model(prompt)
    generated, margin = model.greedy(prompt, steps)
    if margin < 1e-3:
        raise AssertionError(f"{name}: greedy top-2 margin {margin} too small to compare tokens")
    case = Case(name, model, description)
    case.meta = {"steps": steps, "min_margin": round(margin, 6), "vocabulary": "".join(vocab),
                 "continuations": ["".join(vocab[i] for i in row) for row in generated.tolist()]}
    case.saved(model.state_dict())
    case.json("spec.json", spec)
    case.npy("prompt", prompt.numpy())
    case.floats("output", output)
    case.npy("generated", generated.numpy())
    return case.finish()


def char_lm(name="char_lm", steps=20) -> dict:
    torch.manual_seed(seed_of(name))
    vocab = sorted(set(TEXT))
    model = CharLM(vocab=len(vocab))
    train_on_text(model, F.cross_entropy, vocab)
    return language_model_case(name, model, vocab, ["the c", "a hat"], steps,
                               f"character LSTM language model, logits at every step, greedy {steps}-token continuation",
                               {"batch_first": True, "layers": [
                                   {"type": "Embedding", "name": "embedding"},
                                   {"type": "LSTM", "name": "lstm"},
                                   {"type": "Linear", "name": "fc"},
                               ]})


def gru_lm(name="gru_lm", steps=12) -> dict:
    torch.manual_seed(seed_of(name))
    vocab = sorted(set(TEXT))
    model = GRULM(vocab=len(vocab))
    train_on_text(model, F.nll_loss, vocab)
    return language_model_case(name, model, vocab, ["rat", "on "], steps,
                               f"GRU language model with a Linear-Tanh-Linear head and log_softmax, greedy {steps}-token continuation",
                               {"batch_first": True, "layers": [
                                   {"type": "Embedding", "name": "embedding"},
                                   {"type": "GRU", "name": "gru"},
                                   {"type": "Linear", "name": "head.0"},
                                   {"type": "Tanh"},
                                   {"type": "Linear", "name": "head.2"},
                                   {"type": "LogSoftmax", "dim": -1},
                               ]})


def dataparallel_checkpoint(name="dataparallel_checkpoint") -> dict:
    torch.manual_seed(seed_of(name))
    model = GRUClassifier()
    parallel = nn.DataParallel(model)
    optimizer = torch.optim.Adam(parallel.parameters(), lr=1e-3)
    lengths = torch.tensor([6, 2, 4], dtype=torch.int64)
    x = ids((3, 6), 20, low=1)
    x[torch.arange(6).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    parallel.train()
    F.cross_entropy(parallel(x, lengths), torch.tensor([0, 3, 1])).backward()
    optimizer.step()  # the saved weights are those after the step
    parallel.eval()
    with torch.no_grad():
        y = parallel(x, lengths)
    case = Case(name, model, "DataParallel(GRUClassifier) checkpoint: epoch, model_state_dict ('module.' keys), optimizer_state_dict")
    case.saved({"epoch": 7, "model_state_dict": parallel.state_dict(), "optimizer_state_dict": optimizer.state_dict()})
    case.json("spec.json", GRU_CLASSIFIER_SPEC)
    case.npy("input", x.numpy())
    case.npy("lengths", lengths.numpy())
    case.floats("output", y)
    return case.finish()


def encoder_decoder(name="encoder_decoder") -> dict:
    torch.manual_seed(seed_of(name))
    model = EncoderDecoder().eval()
    lengths = torch.tensor([5, 2, 6], dtype=torch.int64)
    x = ids((3, 6), 16)
    with torch.no_grad():
        encoded = model.encode(x, lengths)
    y = model(x, lengths)
    case = Case(name, model, "encoder LSTM → decoder GRU, packed, max over valid steps; and the encoder alone")
    case.saved(model.state_dict())
    case.json("spec.json", {"batch_first": True, "layers": [
        {"type": "Embedding", "name": "embedding"},
        {"type": "LSTM", "name": "encoder"},
        {"type": "GRU", "name": "decoder"},
        {"type": "Max"},
        {"type": "ReLU"},
        {"type": "Linear", "name": "out"},
        {"type": "Sigmoid"},
    ]})
    case.json("encoder.spec.json", {"batch_first": True, "layers": [
        {"type": "Embedding", "name": "embedding"},
        {"type": "LSTM", "name": "encoder"},
        {"type": "FinalHidden"},
    ]})
    case.npy("input", x.numpy())
    case.npy("lengths", lengths.numpy())
    case.floats("output", y)
    case.floats("encoder_output", encoded)
    case.gradients(y)
    return case.finish()


CASES = {
    "gru_classifier": gru_classifier,
    "lstm_tagger": lstm_tagger,
    "rnn_regressor": rnn_regressor,
    "gru_norm_mlp": lambda: gru_pooled("gru_norm_mlp", "Last", batch_first=True),
    "gru_mean_mlp": lambda: gru_pooled("gru_mean_mlp", "Mean", batch_first=False),
    "char_lm": char_lm,
    "gru_lm": gru_lm,
    "dataparallel_checkpoint": dataparallel_checkpoint,
    "encoder_decoder": encoder_decoder,
}


def build(only=None) -> dict:
    """The files of every case (or of the cases named in ``only``), by path under the output directory."""
    cases = {name: make() for name, make in CASES.items() if only is None or name in only}
    return {f"{case}/{file}": data for case, files in cases.items() for file, data in files.items()}


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: fixtures/models)")
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), help="rebuild only these cases (each one's directory replaced; the others left alone)")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    torch.set_num_threads(1)
    files = build(args.only)  # everything first, so that a failure leaves the old fixtures in place
    for directory in ([out] if args.only is None else [out / name for name in args.only]):
        if directory.exists():
            shutil.rmtree(directory)
    for name, data in files.items():
        write_atomic(out / name, data)
    print(f"wrote {len(files)} files to {out} with torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
