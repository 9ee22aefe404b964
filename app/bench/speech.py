"""`shoebox bench speech`: how fast and how well voice notes are transcribed, on sentences spoken by espeak-ng.

Real-time factor here is audio seconds per second of transcription (higher is faster; "10x" means a 10 s note
takes 1 s), from decoded audio to text, the model loaded beforehand. Word error rate is the word-level edit
distance to the sentence spoken, over all sentences (lower case, punctuation dropped, digits as spoken words
are not normalised). The openai-whisper runtime is measured when `--whisper-checkpoint` names a checkpoint.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from app.commands.output import print_json

SENTENCES = [
    "The red boat sailed across the quiet lake at sunset",
    "Grandma baked an apple pie for my birthday party",
    "We climbed the mountain and saw snow on the top",
    "This is the old house where my father grew up",
    "The kids played football on the beach all afternoon",
    "Our dog found a stick in the river near the bridge",
    "My sister took this picture on her first day of school",
    "We had dinner in a small restaurant by the harbour",
]


def register(subparsers) -> None:
    parser = subparsers.add_parser("speech", help="voice-note transcription: real-time factor and word error rate")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the sentences (fastest pass counts)")
    parser.add_argument("--whisper-checkpoint", metavar="PT", help="also measure openai-whisper on this checkpoint")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length)."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)


def measure(backend, wavs: list[Path], rounds: int) -> dict:
    from app.core.ml.speech import decode_audio

    audio_s = sum(len(decode_audio(w)) for w in wavs) / 16_000
    best, texts = None, []
    for _ in range(rounds):
        start = time.perf_counter()
        texts = [backend.transcribe(w).text for w in wavs]
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    errors = [word_errors(ref, hyp) for ref, hyp in zip(SENTENCES, texts)]
    return {"model": backend.model_id, "audio_s": round(audio_s, 2), "seconds": round(best, 3),
            "realtime_x": round(audio_s / best, 1), "wer": round(sum(e for e, _ in errors) / sum(n for _, n in errors), 3),
            "examples": [{"said": s, "heard": t} for s, t in zip(SENTENCES[:3], texts[:3])]}


def run(args, _library) -> int:
    from app.core.ml.speech import DEFAULT_SPEECH_MODEL, load_speech

    exe = shutil.which("espeak-ng")
    if exe is None:
        print("shoebox bench speech: espeak-ng is not installed (apt-get install espeak-ng)")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        wavs = []
        for i, sentence in enumerate(SENTENCES):
            path = Path(tmp) / f"{i}.wav"
            subprocess.run([exe, "-s", "150", "-w", str(path), sentence], check=True, capture_output=True)
            wavs.append(path)
        rows = [measure(load_speech(DEFAULT_SPEECH_MODEL), wavs, args.rounds) | {"runtime": "faster-whisper int8"}]
        if args.whisper_checkpoint:
            backend = load_speech("speech:whisper-checkpoint/torch", args.whisper_checkpoint)
            rows.append(measure(backend, wavs, args.rounds) | {"runtime": "openai-whisper torch"})
    meta = {"cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2), "sentences": len(SENTENCES)}
    if args.json:
        print_json({"rows": rows, **meta})
        return 0
    print(f"{len(SENTENCES)} espeak-ng sentences, fastest of {args.rounds} passes, {meta['cpus']} CPUs, "
          f"load average {meta['load_average']}")
    print(f"{'runtime':24} {'model':32} {'audio s':>8} {'time s':>7} {'x realtime':>10} {'WER':>6}")
    for r in rows:
        print(f"{r['runtime']:24} {r['model']:32} {r['audio_s']:8.1f} {r['seconds']:7.2f} {r['realtime_x']:10.1f} "
              f"{r['wer']:6.3f}")
    for e in rows[0]["examples"]:
        print(f"  said:  {e['said']}\n  heard: {e['heard']}")
    return 0
