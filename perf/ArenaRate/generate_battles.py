#!/usr/bin/env python3
"""Writes N synthetic battles in Chatbot Arena's JSON format (no tstamp), one battle per line, as FastChat's dumps.

Strengths N(1000, 120^2) among M models, uniform pairs, 12% ties; fields the reader must skip (question_id, judge,
a short conversation, language, dedup_tag), and with --style conv_metadata with style counts as Chatbot Arena's
newer dumps carry them.
Usage: generate_battles.py PATH BATTLES MODELS [SEED] [--style]
Deterministic for a seed. Standard library only (this machine has no numpy)."""
import math
import random
import sys

def main(path, battles, models, seed, style):
    rng = random.Random(seed)
    strength = [rng.gauss(1000, 120) for _ in range(models)]
    names = [f"model-{i:02d}" for i in range(models)]
    with open(path, "w", encoding="utf-8") as out:
        out.write("[\n")
        for n in range(battles):
            a = rng.randrange(models)
            b = rng.randrange(models - 1)
            b += b >= a
            r = rng.random()
            if r < 0.12:
                winner = "tie" if r < 0.08 else "tie (bothbad)"
            else:
                p = 1 / (1 + 10 ** ((strength[b] - strength[a]) / 400))
                winner = "model_a" if rng.random() < p else "model_b"
            ta, tb = rng.randrange(20, 900), rng.randrange(20, 900)
            out.write(
                f'{{"question_id": "q{n}", "model_a": "{names[a]}", "model_b": "{names[b]}", "winner": "{winner}", '
                f'"judge": "arena_user_{n % 9973}", "conversation_a": [{{"role": "user", "content": "问题 {n}"}}], '
                f'"turn": 1, "anony": true, "language": "Chinese", "dedup_tag": {{"high_freq": false, "sampled": true}}'
                + ((f', "conv_metadata": {{"sum_user_tokens": 12, "sum_assistant_a_tokens": {ta}, "sum_assistant_b_tokens": {tb}, '
                f'"header_count_a": {{"h1": 0, "h2": {n % 3}, "h3": 0, "h4": 0, "h5": 0, "h6": 0}}, '
                f'"header_count_b": {{"h1": 0, "h2": {n % 2}, "h3": 0, "h4": 0, "h5": 0, "h6": 0}}, '
                f'"list_count_a": {{"ordered": {n % 4}, "unordered": 0}}, "list_count_b": {{"ordered": 0, "unordered": {n % 5}}}, '
                f'"bold_count_a": {{"**": {n % 2}, "__": 0}}, "bold_count_b": {{"**": {n % 3}, "__": 0}}}}') if style else "") + "}"
            )
            out.write(",\n" if n + 1 < battles else "\n")
        out.write("]\n")

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 1,
         len(sys.argv) > 5 and sys.argv[5] == "--style")
