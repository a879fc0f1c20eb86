"""PyTorch reference timings for the benchmark, on one thread.

Usage: python3 torch_bench.py '<JSON>' where JSON is
{"shapes": [{"batch", "seq", "input", "hidden", "layers", "directions"}, ...],
 "cells": ["RNN", "LSTM", "GRU"], "runs": N or null, "minRuns": n, "budgetMs": ms, "maxRuns": n}.

Prints one JSON object on stdout: {"available": true, "torchVersion", "records": [...]}
with records shaped as bench/record.ts's BenchRecord (impl "torch", backend "torch"),
or {"available": false, "reason"} when torch cannot be imported.
Timing rules follow bench/timing.ts: one warm-up call, then at least minRuns calls and more while they fit the budget.
"""
import json
import resource
import statistics
import sys
import time

WARM_UP_CALLS = 1

# Gates per cell, as src/config's GATE_COUNTS.
GATE_COUNTS = {"RNN": 1, "LSTM": 4, "GRU": 3}


def forward_flops(shape, cell):
    flops = 0
    hidden = shape["hidden"]
    gate_size = GATE_COUNTS[cell] * hidden
    for layer in range(shape["layers"]):
        layer_input = shape["input"] if layer == 0 else shape["directions"] * hidden
        flops += shape["directions"] * 2 * shape["batch"] * shape["seq"] * (layer_input * gate_size + hidden * gate_size)
    return flops


def time_calls(call, runs, min_runs, budget_ms, max_runs):
    samples = []
    elapsed_ms = 0.0
    while True:
        if runs is not None:
            more = len(samples) < runs
        else:
            more = len(samples) < min_runs or (len(samples) < max_runs and elapsed_ms + samples[-1] <= budget_ms)
        if not more:
            return samples
        start = time.perf_counter()
        call()
        ms = (time.perf_counter() - start) * 1000
        samples.append(ms)
        elapsed_ms += ms


def measure(torch, shape, cell, mode, runs, min_runs, budget_ms, max_runs):
    torch.manual_seed(1)
    model = getattr(torch.nn, cell)(
        shape["input"],
        shape["hidden"],
        num_layers=shape["layers"],
        bidirectional=shape["directions"] == 2,
        batch_first=True,
    )
    x = torch.randn(shape["batch"], shape["seq"], shape["input"])

    def inference():
        with torch.no_grad():
            model(x)

    def train_step():
        model.zero_grad(set_to_none=True)
        output, _ = model(x)
        output.pow(2).sum().backward()

    if mode == "inference":
        model.eval()
        call = inference
    else:
        model.train()
        call = train_step
    for _ in range(WARM_UP_CALLS):
        call()
    samples = time_calls(call, runs, min_runs, budget_ms, max_runs)
    ms_median = statistics.median(samples)
    flops = forward_flops(shape, cell) * (1 if mode == "inference" else 3)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(
        shape,
        backend="torch",
        impl="torch",
        cell=cell,
        mode=mode,
        msMedian=ms_median,
        gflops=flops / (ms_median * 1e6),
        msSamples=samples,
        threads=torch.get_num_threads(),
        peakRssMB=peak_rss_mb,
    )


def main():
    request = json.loads(sys.argv[1])
    try:
        import torch
    except ImportError as error:
        print(json.dumps({"available": False, "reason": f"torch cannot be imported ({error})"}))
        return
    torch.set_num_threads(1)
    records = [
        measure(torch, shape, cell, mode, request.get("runs"), request["minRuns"], request["budgetMs"], request["maxRuns"])
        for cell in request["cells"]
        for shape in request["shapes"]
        for mode in ("inference", "train")
    ]
    print(json.dumps({"available": True, "torchVersion": torch.__version__, "records": records}))


if __name__ == "__main__":
    main()
