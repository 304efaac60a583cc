#!/usr/bin/env python3
"""Writes fastchat_battles.json beside this file: 360 synthetic battles among 8 models in Chatbot Arena's format, the
battles on which FastChatPinnedTests compares our ratings with FastChat's (fastchat_reference.py computes those).

Each battle has tstamp (shuffled against the file order, so both sides must sort by it), language, turn,
conversation_a (user turns, classified by our PromptCategories; assistant turns are a placeholder) and conv_metadata as
Chatbot Arena's dumps carry it (sum_assistant_*_tokens, header_count_* h1..h6, list_count_* ordered/unordered,
bold_count_* **/__). Votes prefer the stronger model and the longer, more formatted answer; 14% ties, 5% both bad.
Chinese prompts are all Han but for no Latin word, English prompts have no Han, so language and our script-share rule
agree; 30% of battles have two or three user turns.
Run: python3 make_fastchat_battles.py (standard library only; deterministic)."""
import json
import math
import os
import random

MODELS = {  # name: (strength, verbosity)
    "qwen2-7b": (1080, 1.6), "glm-4-9b": (1060, 1.0), "yi-1.5-34b": (1040, 2.2), "deepseek-v2-lite": (1010, 0.8),
    "baichuan2-13b": (980, 1.2), "internlm2-20b": (1000, 1.9), "llama-3-8b": (950, 1.0), "mistral-7b": (920, 0.7),
}
CHINESE = ["介绍一下长城的历史", "怎样学好书法", "推荐几本关于宋朝的书", "请解释什么是光合作用", "如何准备面试",
           "帮我写一段生日祝福", "比较北京和上海的气候", "为什么天空是蓝色的", "怎样养好一盆兰花", "说说茶叶的种类"]
ENGLISH = ["Explain how vaccines work", "Plan a three day trip to Kyoto", "What is the difference between weather and climate",
           "Give me tips for better sleep", "Summarise the causes of the French Revolution", "How do bees make honey"]
FOLLOW_CHINESE = ["再详细一点", "能举个例子吗"]
FOLLOW_ENGLISH = ["Tell me more", "Can you give an example"]


def style(rng, verbosity):
    tokens = int(rng.randint(40, 400) * verbosity)
    h = [rng.choice([0, 0, 0, 1]) for _ in range(3)] + [0, 0, 0]
    if verbosity > 1.5:
        h[1] += rng.randint(0, 3)
    return {"tokens": tokens, "h": h, "ordered": rng.randint(0, int(4 * verbosity)), "unordered": rng.randint(0, 5),
            "**": rng.randint(0, int(3 * verbosity)), "__": rng.choice([0, 0, 0, 1])}


def ratio(a, b):
    return (a - b) / (a + b + 1)


def main():
    rng = random.Random(20261203)
    names = list(MODELS)
    count = 360
    times = list(range(count))
    rng.shuffle(times)
    battles = []
    for n in range(count):
        a, b = rng.sample(names, 2)
        sa, sb = style(rng, MODELS[a][1]), style(rng, MODELS[b][1])
        chinese = rng.random() < 0.6
        turns = 1 if rng.random() < 0.7 else rng.choice([2, 3])
        pool, follow = (CHINESE, FOLLOW_CHINESE) if chinese else (ENGLISH, FOLLOW_ENGLISH)
        user = [rng.choice(pool)] + [follow[t % 2] for t in range(turns - 1)]
        conversation = []
        for text in user:
            conversation += [{"role": "user", "content": text}, {"role": "assistant", "content": "…"}]
        logit = (math.log(10) / 400 * (MODELS[a][0] - MODELS[b][0]) + 1.1 * ratio(sa["tokens"], sb["tokens"])
                 + 0.4 * ratio(sum(sa["h"]), sum(sb["h"])) + 0.3 * ratio(sa["**"] + sa["__"], sb["**"] + sb["__"]))
        r = rng.random()
        winner = ("tie (bothbad)" if r < 0.05 else "tie" if r < 0.19
                  else "model_a" if rng.random() < 1 / (1 + math.exp(-logit)) else "model_b")
        metadata = {}
        for side, s in (("a", sa), ("b", sb)):
            metadata[f"sum_assistant_{side}_tokens"] = s["tokens"]
            metadata[f"header_count_{side}"] = {f"h{i + 1}": s["h"][i] for i in range(6)}
            metadata[f"list_count_{side}"] = {"ordered": s["ordered"], "unordered": s["unordered"]}
            metadata[f"bold_count_{side}"] = {"**": s["**"], "__": s["__"]}
        battles.append({"model_a": a, "model_b": b, "winner": winner,
                        "tstamp": 1733200000 + 37 * times[n], "language": "Chinese" if chinese else "English",
                        "turn": turns, "conversation_a": conversation, "conv_metadata": metadata})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fastchat_battles.json")
    with open(path, "w", encoding="utf-8") as out:
        out.write("[\n" + ",\n".join(json.dumps(b, ensure_ascii=False, separators=(",", ":")) for b in battles) + "\n]\n")


if __name__ == "__main__":
    main()
