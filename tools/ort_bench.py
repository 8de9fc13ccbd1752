"""Times onnxruntime on an ONNX model: batch-1 median and p90 latency as JSON.

Used by tools/bench-vs-onnxruntime.sh; the input is seeded pseudo-random data
of the model's input shape (run time does not depend on the values).
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort


def main() -> None:
    path, threads, iterations, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    start = time.perf_counter()
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - start) * 1000
    shape = [d if isinstance(d, int) else 1 for d in session.get_inputs()[0].shape]
    x = np.random.default_rng(1).uniform(-128, 128, size=shape).astype(np.float32)
    feed = {session.get_inputs()[0].name: x}
    for _ in range(warmup):
        session.run(None, feed)
    times = []
    for _ in range(iterations):
        t = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    p90 = times[min(n - 1, -(-9 * n // 10) - 1)]
    print(json.dumps({"engine": "onnxruntime " + ort.__version__, "threads": threads, "iterations": n,
                      "load_ms": load_ms, "median_ms": median, "p90_ms": p90, "min_ms": times[0]}))


if __name__ == "__main__":
    main()
