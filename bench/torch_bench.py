"""PyTorch reference timings for the benchmark, on one thread.

Usage: python3 torch_bench.py '<JSON>' where JSON is
{"shapes": [{"batch", "seq", "input", "hidden", "layers", "directions"}, ...],
 "runs": N or null, "budgetMs": ms, "maxRuns": n}.

Prints one JSON object on stdout: {"available": true, "torchVersion", "records": [...]}
with records shaped as bench/record.ts's BenchRecord (impl "torch", backend "torch"),
or {"available": false, "reason"} when torch cannot be imported.
Timing rules follow bench/timing.ts: one warm-up call, then rounds while they fit the budget.
"""
import json
import resource
import statistics
import sys
import time

WARM_UP_CALLS = 1


def forward_flops(shape):
    flops = 0
    for layer in range(shape["layers"]):
        layer_input = shape["input"] if layer == 0 else shape["directions"] * shape["hidden"]
        hidden = shape["hidden"]
        flops += shape["directions"] * 2 * shape["batch"] * shape["seq"] * (layer_input * hidden + hidden * hidden)
    return flops


def time_calls(call, runs, budget_ms, max_runs):
    samples = []
    elapsed_ms = 0.0
    while True:
        if runs is not None:
            more = len(samples) < runs
        else:
            more = not samples or (len(samples) < max_runs and elapsed_ms + samples[-1] <= budget_ms)
        if not more:
            return samples
        start = time.perf_counter()
        call()
        ms = (time.perf_counter() - start) * 1000
        samples.append(ms)
        elapsed_ms += ms


def measure(torch, shape, mode, runs, budget_ms, max_runs):
    torch.manual_seed(1)
    model = torch.nn.RNN(
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
    samples = time_calls(call, runs, budget_ms, max_runs)
    ms_median = statistics.median(samples)
    flops = forward_flops(shape) * (1 if mode == "inference" else 3)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(
        shape,
        backend="torch",
        impl="torch",
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
        measure(torch, shape, mode, request.get("runs"), request["budgetMs"], request["maxRuns"])
        for shape in request["shapes"]
        for mode in ("inference", "train")
    ]
    print(json.dumps({"available": True, "torchVersion": torch.__version__, "records": records}))


if __name__ == "__main__":
    main()
