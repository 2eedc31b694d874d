#!/usr/bin/env python3
"""Checks and times llama-orleans on a device, for build/cuda-device-check.sh (standard library only).

  cuda-check.py greedy --cli CMD --device D --dtype T [--report-only]
      runs every case of test/data/reference/greedy.json and compares the output with its text and the timing
      line's token counts, as test/Cli.Tests/CliTests.cs does; exit 1 on a mismatch unless --report-only
      (bfloat16 compute is not expected to follow the float32 reference all the way).
  cuda-check.py decode --cli CMD --model M --tokenizer T --config DEVICE:DTYPE[:THREADS] ... [--tokens N] [--runs R]
      runs greedy decoding R times per config and prints each rate and a table of medians.

CMD is the command that starts the CLI, split on spaces (e.g. "DIR/dotnet/dotnet DIR/cli/llama-orleans.dll").
"""
import argparse
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMING = re.compile(r"^prompt tokens: (\d+), generated tokens: (\d+), prefill: ([\d.]+) ms, decode: ([\d.]+) tok/s$", re.M)


def run_cli(cli, args, timeout):
    started = time.monotonic()
    proc = subprocess.run(cli.split() + args, capture_output=True, text=True, timeout=timeout)
    return proc, time.monotonic() - started


def tail(text, lines=6):
    return "\n".join(text.strip().splitlines()[-lines:])


def llama2c_pieces(path):
    """Token strings of a llama2.c tokenizer.bin: int32 max length, then per token float32 score, int32 length, bytes."""
    with open(path, "rb") as f:
        data = f.read()
    pieces, offset = [], 4
    while offset < len(data):
        _, length = struct.unpack_from("<fi", data, offset)
        offset += 8
        pieces.append(data[offset:offset + length])
        offset += length
    return pieces


def matched_tokens(pieces, ids, previous, output):
    """How many of the reference ids the output reproduces before it departs, decoding as llama2.c does."""
    text = b""
    for count, token in enumerate(ids):
        piece = pieces[token]
        if previous == 1 and piece.startswith(b" "):
            piece = piece[1:]
        m = re.fullmatch(rb"<0x([0-9A-Fa-f]{2})>", piece)
        text += bytes([int(m.group(1), 16)]) if m else piece
        if not output.startswith(text):
            return count
        previous = token
    return len(ids)


def greedy(args):
    with open(os.path.join(ROOT, "test", "data", "reference", "greedy.json"), encoding="utf-8") as f:
        reference = json.load(f)
    model = os.path.join(ROOT, reference["model"])
    tokenizer = os.path.join(ROOT, reference["tokenizer"])
    pieces = llama2c_pieces(tokenizer)
    failures = 0
    for case in reference["cases"]:
        proc, seconds = run_cli(args.cli, [
            "generate", "--model", model, "--tokenizer", tokenizer, "--prompt", case["prompt"],
            "--temperature", "0", "--max-tokens", str(case["max_new_tokens"]), "--max-seq-len", str(reference["max_seq_len"]),
            "--device", args.device, "--dtype", args.dtype], args.timeout)
        label = f"{args.device}/{args.dtype} {case['prompt']!r}"
        if proc.returncode != 0:
            print(f"FAIL {label}: exit {proc.returncode}\n{tail(proc.stderr + proc.stdout)}")
            failures += 1
            continue
        output = proc.stdout[:-1] if proc.stdout.endswith("\n") else proc.stdout
        timing = TIMING.search(proc.stderr)
        want_generated = len(case["generated_ids"]) + (1 if case["stop_reason"] == "stop" else 0)
        counts_ok = timing is not None and int(timing.group(1)) == len(case["prompt_ids"]) and int(timing.group(2)) == want_generated
        ids = case["generated_ids"]
        matched = matched_tokens(pieces, ids, case["prompt_ids"][-1], output.encode("utf-8"))
        rate = timing.group(4) if timing else "?"
        if output == case["text"] and counts_ok:
            print(f"ok   {label}: all {len(ids)} tokens match ({seconds:.1f} s, decode {rate} tok/s)")
        else:
            failures += 1
            at = next((i for i, (a, b) in enumerate(zip(output, case["text"])) if a != b), min(len(output), len(case["text"])))
            print(f"{'diff' if args.report_only else 'FAIL'} {label}: first {matched} of {len(ids)} tokens match; "
                  f"text departs at char {at}: expected {case['text'][at:at + 40]!r}, got {output[at:at + 40]!r}; "
                  f"timing line: {timing.group(0) if timing else 'missing'}")
    verdict = "all cases match" if failures == 0 else f"{failures} of {len(reference['cases'])} cases differ"
    print(f"greedy {args.device}/{args.dtype}: {verdict}")
    return 0 if failures == 0 or args.report_only else 1


def decode(args):
    rows = []
    for config in args.config:
        device, dtype, *rest = config.split(":")
        extra = ["--threads", rest[0]] if rest else []
        rates = []
        for run in range(args.runs):
            try:
                proc, seconds = run_cli(args.cli, [
                    "generate", "--model", args.model, "--tokenizer", args.tokenizer, "--prompt", "Once upon a time",
                    "--temperature", "0", "--max-tokens", str(args.tokens), "--device", device, "--dtype", dtype] + extra,
                    args.timeout)
            except subprocess.TimeoutExpired:
                print(f"{config} run {run + 1}: timed out after {args.timeout} s")
                break
            timing = TIMING.search(proc.stderr)
            if proc.returncode != 0 or timing is None:
                print(f"{config} run {run + 1}: exit {proc.returncode}\n{tail(proc.stderr + proc.stdout)}")
                break
            rates.append(float(timing.group(4)))
            print(f"{config} run {run + 1}: {timing.group(0)} ({seconds:.1f} s in all)")
        rows.append((config, statistics.median(rates) if rates else None, len(rates)))
    print(f"\ndecode, {os.path.basename(args.model)}, prompt 'Once upon a time', {args.tokens} greedy tokens")
    print(f"{'config':<24}{'runs':>5}{'median tok/s':>14}")
    for config, rate, runs in rows:
        print(f"{config:<24}{runs:>5}{(f'{rate:.2f}' if rate is not None else 'failed'):>14}")
    return 0 if all(rate is not None for _, rate, _ in rows) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("greedy")
    g.add_argument("--cli", required=True)
    g.add_argument("--device", required=True)
    g.add_argument("--dtype", required=True)
    g.add_argument("--report-only", action="store_true")
    g.add_argument("--timeout", type=int, default=60)
    d = sub.add_parser("decode")
    d.add_argument("--cli", required=True)
    d.add_argument("--model", required=True)
    d.add_argument("--tokenizer", required=True)
    d.add_argument("--config", action="append", required=True)
    d.add_argument("--tokens", type=int, default=256)
    d.add_argument("--runs", type=int, default=2)
    d.add_argument("--timeout", type=int, default=120)
    args = parser.parse_args()
    try:
        return greedy(args) if args.command == "greedy" else decode(args)
    except subprocess.TimeoutExpired as e:
        print(f"FAIL: timed out after {e.timeout} s: {' '.join(e.cmd[:4])} …")
        return 1


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    sys.exit(main())
