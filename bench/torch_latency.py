"""PyTorch's latency at batch 1 for bench/latency.ts, on one thread.

Usage: python3 torch_latency.py '<JSON>' with {"modes", "stepShapes", "wholeShape", "rounds",
"steps", "wholeCalls"}. Prints {"available": true, "records": [...]} (backend "torch";
"step" records time one single-step call `model(x_t, h)` carrying h, as a live stream
would; "whole" one call over the whole sequence), or {"available": false, "reason"}.
Each record's usPerCall is the median over rounds of the mean per call, after a warm-up round.
"""
import json
import statistics
import sys
import time


def time_per_call(call, calls, rounds):
    means = []
    for round_index in range(rounds + 1):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        if round_index > 0:
            means.append((time.perf_counter() - start) * 1e6 / calls)
    return statistics.median(means)


def build(torch, mode, input_size, hidden_size):
    torch.manual_seed(1)
    module = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[mode]
    return module(input_size, hidden_size, batch_first=True).eval()


def main():
    request = json.loads(sys.argv[1])
    try:
        import torch
    except ImportError as error:
        print(json.dumps({"available": False, "reason": f"torch not importable ({error})"}))
        return
    torch.set_num_threads(1)
    records = []
    with torch.no_grad():
        for mode in request["modes"]:
            for batch, seq, input_size, hidden_size in request["stepShapes"]:
                model = build(torch, mode, input_size, hidden_size)
                x = torch.randn(batch, seq, input_size)
                state = [None]

                def step():
                    _, state[0] = model(x, state[0])

                records.append({"mode": mode, "backend": "torch", "what": "step", "shape": [batch, seq, input_size, hidden_size],
                                "usPerCall": time_per_call(step, request["steps"], request["rounds"])})
            batch, seq, input_size, hidden_size = request["wholeShape"]
            model = build(torch, mode, input_size, hidden_size)
            x = torch.randn(batch, seq, input_size)
            records.append({"mode": mode, "backend": "torch", "what": "whole", "shape": [batch, seq, input_size, hidden_size],
                            "usPerCall": time_per_call(lambda: model(x), request["wholeCalls"], request["rounds"])})
    print(json.dumps({"available": True, "torchVersion": torch.__version__, "records": records}))


main()
