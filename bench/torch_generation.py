"""PyTorch's own greedy generation loop, timed on one thread, for bench/generation.ts.

Usage: python3 torch_generation.py '<JSON>' where JSON is
{"models": [{"name", "mode": "LSTM"|"GRU"|"RNN", "recurrentName", "vocab", "embed", "hidden", "layers",
             "weights": path of a state_dict .pt or null (random weights, seed 0)}],
 "promptLength": P, "steps": [short, long], "rounds": R}.

Each model is Embedding(V, E) → mode(E, H, num_layers, batch_first=True) → Linear(H, V), the
loop PyTorch users write: ``logits, state = model(prompt)`` once, then per new token
``token = logits[:, -1].argmax(-1); logits, state = model(token[:, None], state)``, under
``torch.no_grad()`` at batch 1. Prints one JSON object: {"available": true, "torch", "records":
[{"name", "msShort", "msLong", "usPerToken"}]} with medians over the rounds (after one warm-up),
usPerToken = (msLong − msShort) / (long − short) · 1000; or {"available": false, "reason"}.
"""
import json
import statistics
import sys
import time


def main() -> int:
    request = json.loads(sys.argv[1])
    try:
        import torch
        from torch import nn
    except Exception as error:  # noqa: BLE001 - any import failure means no PyTorch column
        print(json.dumps({"available": False, "reason": f"torch cannot be imported: {error}"}))
        return 0
    torch.set_num_threads(1)

    class LanguageModel(nn.Module):
        def __init__(self, spec):
            super().__init__()
            self.embedding = nn.Embedding(spec["vocab"], spec["embed"])
            self.recurrent_name = spec["recurrentName"]
            setattr(self, self.recurrent_name, getattr(nn, spec["mode"])(spec["embed"], spec["hidden"], num_layers=spec["layers"], batch_first=True))
            self.fc = nn.Linear(spec["hidden"], spec["vocab"])

        def forward(self, ids, state=None):
            out, state = getattr(self, self.recurrent_name)(self.embedding(ids), state)
            return self.fc(out), state

    @torch.no_grad()
    def greedy(model, prompt, steps):
        logits, state = model(prompt)
        tokens = []
        for _ in range(steps):
            token = logits[:, -1].argmax(dim=-1)
            tokens.append(token)
            logits, state = model(token.unsqueeze(1), state)
        return tokens

    records = []
    short, long = request["steps"]
    for spec in request["models"]:
        torch.manual_seed(0)
        model = LanguageModel(spec).eval()
        if spec["weights"] is not None:
            model.load_state_dict(torch.load(spec["weights"]))
        prompt = torch.randint(0, spec["vocab"], (1, request["promptLength"]))
        timings = {short: [], long: []}
        for round_ in range(request["rounds"] + 1):
            for steps in (short, long):
                start = time.perf_counter()
                greedy(model, prompt, steps)
                if round_ > 0:
                    timings[steps].append((time.perf_counter() - start) * 1000)
        ms_short, ms_long = statistics.median(timings[short]), statistics.median(timings[long])
        records.append({"name": spec["name"], "msShort": ms_short, "msLong": ms_long, "usPerToken": (ms_long - ms_short) / (long - short) * 1000})
    print(json.dumps({"available": True, "torch": torch.__version__, "records": records}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
