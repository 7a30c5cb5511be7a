"""Texts per second of SmolLM2-135M on the CPU: batch size, threads, transformers vs llama.cpp.

Run from the repository root::

    .venv/bin/python benchmarks/generate_speed.py            # 32 texts per configuration
    .venv/bin/python benchmarks/generate_speed.py --n 8      # quicker

Every configuration writes the same label-conditioned tweets (the default prompt of
``synthmix generate``, T = 1, top-p = 0.9, at most 48 new tokens) and is timed after the model
is loaded; the load time is printed apart. Ratios are against ``synthmix generate``'s default
(transformers, batch 16, 1 thread), measured in the same run. llama.cpp (``llama-cpp-python``,
which builds from source) runs on the very same GGUF file when it is installed; otherwise its
row says so. Interpret the numbers with the machine: both cores busy with other work halve them.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import time

from synthmix.data.llm import MODEL_FILE, SamplingSettings, _load_model, generate_text, model_folder

SETTINGS = SamplingSettings(temperature=1.0, top_p=0.9)


def _transformers(n: int, batch_size: int, threads: int) -> float:
    run = generate_text(n, settings=SETTINGS, rng=0, batch_size=batch_size, threads=threads)
    return run.texts_per_second


def _llama_cpp(n: int, threads: int) -> float | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return None
    from llama_cpp import Llama

    from synthmix.data.llm import DEFAULT_TEMPLATE

    llm = Llama(
        model_path=str(model_folder() / MODEL_FILE), n_threads=threads, verbose=False, seed=0
    )
    start = time.perf_counter()
    for i in range(n):
        label = ("negative", "positive")[i % 2]
        llm.create_chat_completion(
            messages=[
                {
                    "role": "user",
                    "content": DEFAULT_TEMPLATE.format(label=label, topic="the weather"),
                }
            ],
            temperature=SETTINGS.temperature,
            top_p=SETTINGS.top_p,
            top_k=0,
            max_tokens=SETTINGS.max_new_tokens,
        )
    return n / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=32, help="texts per configuration")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    start = time.perf_counter()
    _load_model()
    print(f"transformers: model loaded in {time.perf_counter() - start:.1f} s")
    rows = []
    base = _transformers(args.n, 16, 1)
    rows.append(("transformers, batch 16, 1 thread (default)", base))
    for batch_size, threads in ((1, 1), (16, 2), (32, 1)):
        rows.append(
            (
                f"transformers, batch {batch_size}, {threads} thread(s)",
                _transformers(args.n, batch_size, threads),
            )
        )
    for threads in (1, 2):
        rows.append(
            (f"llama.cpp, 1 text at a time, {threads} thread(s)", _llama_cpp(args.n, threads))
        )
    print(f"{'configuration':52s} {'texts/s':>8s} {'vs default':>10s}")
    for name, rate in rows:
        if rate is None:
            print(f"{name:52s} {'not installed (pip install llama-cpp-python)':>8s}")
            continue
        print(f"{name:52s} {rate:8.2f} {rate / base:9.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
