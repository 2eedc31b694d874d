#!/usr/bin/env python3
"""Checks and times llama-orleans on a device, for build/cuda-device-check.sh (standard library only).

  cuda-check.py greedy --cli CMD --device D --dtype T [--report-only]
      runs every case of test/data/reference/greedy.json and compares the output with its text and the timing
      line's token counts, as test/Cli.Tests/CliTests.cs does; exit 1 on a mismatch unless --report-only
      (bfloat16 compute is not expected to follow the float32 reference all the way).
  cuda-check.py decode --cli CMD --model M --tokenizer T --config DEVICE:DTYPE[:THREADS] ... [--tokens N] [--runs R]
      runs greedy decoding R times per config and prints each rate and a table of medians.

  cuda-check.py silo --silo CMD --model-setting KEY=VALUE ... --conversations N --tokens T --prompt-tokens P
                     [--engine-tsv TSV --engine-figure PREFIX] [--target R] [--work DIR] [--tsv PATH] [--log PATH]
      starts llama-orleans-silo with its HTTP API on free ports serving the model the settings describe (as
      Llama:Models:0), runs N conversations at once through POST /v1/conversations/{id}/messages (streamed, greedy,
      T reply tokens, prompts of about P tokens) once to warm up and once timed, and prints the aggregate decode
      rate and its ratio to the engine-alone figure of the same run (the first TSV line whose name starts with
      PREFIX and ends in "graphs on", else "eager"); exit 1 if the silo or a turn fails.

CMD is the command that starts the CLI, split on spaces (e.g. "DIR/dotnet/dotnet DIR/cli/llama-orleans.dll").
"""
import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
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


WORDS = ("river stone light garden window cloud forest bridge candle winter harbor meadow lantern valley ocean "
         "mountain sparrow violin thunder orchard market castle pepper silver morning velvet engine compass").split()


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def request(port, method, path, body=None, timeout=600):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(method, path, body=None if body is None else json.dumps(body), headers={"Content-Type": "application/json"})
    return conn, conn.getresponse()


def turn(port, conversation, content, out):
    """One streamed turn: arrival times of its first and last delta, and the turn's usage."""
    conn, response = request(port, "POST", f"/v1/conversations/{conversation}/messages", {"content": content, "stream": True})
    first = last = None
    usage = None
    try:
        if response.status != 200:
            out["error"] = f"HTTP {response.status}: {response.read()[:300]!r}"
            return
        for raw in response:
            line = raw.decode("utf-8").rstrip("\n")
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            kind = event.get("object")
            if kind == "conversation.turn.delta":
                last = time.monotonic()
                first = first or last
            elif kind == "conversation.turn":
                usage = event["usage"]
            else:
                out["error"] = f"unexpected event: {line[:300]}"
                return
    finally:
        conn.close()
    if usage is None or first is None:
        out["error"] = "the stream ended without deltas and its conversation.turn"
        return
    out.update(first=first, last=last, prompt=usage["prompt_tokens"], tokens=usage["completion_tokens"])


def conversations_round(port, model, count, tokens, words, seed):
    """count conversations, each one streamed turn at once; returns (results, aggregate decode tok/s)."""
    rng = random.Random(seed)
    ids = []
    for _ in range(count):
        conn, response = request(port, "POST", "/v1/conversations", {"model": model, "temperature": 0, "max_tokens": tokens})
        body = response.read()
        conn.close()
        if response.status != 201:
            raise RuntimeError(f"creating a conversation: HTTP {response.status}: {body[:300]!r}")
        ids.append(json.loads(body)["id"])
    # Distinct prompts, so no conversation reuses another's cached prefix.
    messages = [f"{i}: " + " ".join(rng.choice(WORDS) for _ in range(words)) for i in range(count)]
    results = [{} for _ in range(count)]
    threads = [threading.Thread(target=turn, args=(port, ids[i], messages[i], results[i])) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = [r["error"] for r in results if "error" in r]
    if failed:
        raise RuntimeError(f"{len(failed)} of {count} turns failed; the first: {failed[0]}")
    seconds = max(r["last"] for r in results) - min(r["first"] for r in results)
    return results, sum(r["tokens"] - 1 for r in results) / seconds


def engine_figure(tsv, prefix):
    try:
        with open(tsv, encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
    except OSError as e:
        return None, f"no engine figures: {e}"
    named = {row[1]: float(row[2]) for row in rows if len(row) >= 3 and row[1].startswith(prefix)}
    for suffix in ("graphs on", "eager"):
        for name, value in named.items():
            if name.endswith(suffix):
                return value, name
    return None, f"no figure named '{prefix}…' in {tsv}"


def silo(args):
    figures = []

    def figure(verdict, name, value, unit, relation):
        figures.append((verdict, name, value, unit, relation))
        print(f"FIGURE {verdict:<4} {name:<52} {value:12.2f} {unit:<6} {relation}")

    work = args.work
    os.makedirs(work, exist_ok=True)
    silo_port, gateway_port, http_port = free_ports(3)
    command = args.silo.split() + [
        f"--Orleans:SiloPort={silo_port}", f"--Orleans:GatewayPort={gateway_port}", f"--Http:Urls=http://127.0.0.1:{http_port}",
        f"--Storage:DataSource={os.path.join(work, 'conversations.db')}", "--Logging:LogLevel:Polly=Warning",
        "--Llama:Models:0:Name=random", "--Llama:Models:0:Path=",
    ] + [f"--Llama:Models:0:{setting}" for setting in args.model_setting]
    log_path = args.log or os.path.join(work, "silo.log")
    print("starting:", " ".join(command))
    env = dict(os.environ, Logging__Console__FormatterName="simple", Logging__Console__FormatterOptions__SingleLine="true")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work)
    code = 1
    try:
        started = time.monotonic()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the silo exited ({proc.returncode}) before it was ready")
            try:
                conn, response = request(http_port, "GET", "/readyz", timeout=10)
                ready = response.status == 200
                response.read()
                conn.close()
                if ready:
                    break
            except OSError:
                pass
            if time.monotonic() - started > args.ready_timeout:
                raise RuntimeError(f"the silo was not ready after {args.ready_timeout} s")
            time.sleep(1)
        print(f"silo ready in {time.monotonic() - started:.1f} s (model created while it started)")
        # The warm-up round captures the decode graphs of every batch bucket and tells how many prompt tokens a word takes.
        warm, _ = conversations_round(http_port, "random", args.conversations, min(args.tokens, 8), 16, 1)
        short, _ = conversations_round(http_port, "random", 1, 2, 1, 2)
        overhead = short[0]["prompt"] - 1
        per_word = max((statistics.mean(r["prompt"] for r in warm) - overhead) / 16, 0.5)
        words = max(1, round((args.prompt_tokens - overhead) / per_word))
        results, aggregate = conversations_round(http_port, "random", args.conversations, args.tokens, words, 3)
        prompt = statistics.mean(r["prompt"] for r in results)
        tokens = sum(r["tokens"] for r in results)
        figure("info", f"silo HTTP {args.conversations}-conversation aggregate decode", aggregate, "tok/s",
               f"{tokens} tokens, prompts of {prompt:.0f} tokens on average")
        engine, name = engine_figure(args.engine_tsv, args.engine_figure) if args.engine_tsv else (None, "no engine figures given")
        if engine is None:
            figure("FAIL", "silo HTTP against the engine alone", 0, "×", name)
        else:
            ratio = aggregate / engine
            verdict = ("ok" if ratio >= args.target else "miss") if args.target else "info"
            figure(verdict, "silo HTTP against the engine alone", ratio, "×",
                   f"of '{name}' ({engine:.2f} tok/s){f'; target ≥ {args.target}' if args.target else ''}")
        code = 0
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        print(f"FAIL silo: {e}")
        figure("FAIL", "silo HTTP conversations", 0, "", str(e)[:300])
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with open(log_path, encoding="utf-8", errors="replace") as log:
            lines = log.read().splitlines()
        print(f"silo log ({log_path}): its model, warnings and errors, and its last lines")
        print("\n".join(l for l in lines[:-4] if re.match(r"(warn|fail|crit)|info: .*(ModelHost|Model random)", l)))
        print("\n".join(lines[-4:]))
    if args.tsv:
        with open(args.tsv, "w", encoding="utf-8") as f:
            f.write("verdict\tfigure\tvalue\tunit\trelation\n")
            for verdict, name, value, unit, relation in figures:
                f.write(f"{verdict}\t{name}\t{value:.6g}\t{unit}\t{relation}\n")
    return code


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
    h = sub.add_parser("silo")
    h.add_argument("--silo", required=True)
    h.add_argument("--model-setting", action="append", required=True)
    h.add_argument("--conversations", type=int, default=32)
    h.add_argument("--tokens", type=int, default=64)
    h.add_argument("--prompt-tokens", type=int, default=128)
    h.add_argument("--engine-tsv")
    h.add_argument("--engine-figure", default="")
    h.add_argument("--target", type=float)
    h.add_argument("--work", default="/tmp/llama-silo-check")
    h.add_argument("--tsv")
    h.add_argument("--log")
    h.add_argument("--ready-timeout", type=int, default=240)
    args = parser.parse_args()
    try:
        return {"greedy": greedy, "decode": decode, "silo": silo}[args.command](args)
    except subprocess.TimeoutExpired as e:
        print(f"FAIL: timed out after {e.timeout} s: {' '.join(e.cmd[:4])} …")
        return 1


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    sys.exit(main())
