# Reference numbers for EloRatingTests / BradleyTerryTests on ../shared/datasets/prd_vicuna80_pairwise.
# Elo: FastChat compute_elo's update loop re-typed (K=4, scale 400, base 10, init 1000, ties 1/2).
# BT: Hunter (2004) minorize-maximize iterations on FastChat's weights (2 x wins + ties per ordered pair),
# an algorithm independent of the Newton solver under test; ratings centred on a mean of 1000.
# Run: python3 prd_vicuna80_reference.py (standard library only).
import json, os, math
from collections import defaultdict
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), *[".."] * 5, "shared", "datasets", "prd_vicuna80_pairwise", "ratings-human")
battles = []
for f in sorted(os.listdir(d)):
    name = f[len("answer_"):-len("-human-reviewer_threeclass.jsonl")]
    m1, m2 = name.split("-vs-answer_")
    for line in open(os.path.join(d, f)):
        s = json.loads(line)["score"]
        battles.append((m1, m2, {1: "model_a", 2: "model_b", 3: "tie"}[s]))
print(len(battles))
r = defaultdict(lambda: 1000)
for a, b, w in battles:
    ra, rb = r[a], r[b]
    ea = 1/(1+10**((rb-ra)/400)); eb = 1/(1+10**((ra-rb)/400))
    sa = {"model_a": 1, "model_b": 0, "tie": 0.5}[w]
    r[a] += 4*(sa-ea); r[b] += 4*(1-sa-eb)
for k, v in sorted(r.items(), key=lambda kv: -kv[1]): print("elo", k, repr(v))
# MM (Hunter 2004) on FastChat weights
models = sorted(r)
W = defaultdict(float)
for a, b, w in battles:
    if w == "model_a": W[a, b] += 2
    elif w == "model_b": W[b, a] += 2
    else: W[a, b] += 1; W[b, a] += 1
g = {m: 1.0 for m in models}
for it in range(200000):
    new = {}
    for i in models:
        wins = sum(W[i, j] for j in models if j != i)
        den = sum((W[i, j]+W[j, i])/(g[i]+g[j]) for j in models if j != i)
        new[i] = wins/den
    # normalise geometric mean 1
    lg = sum(math.log(v) for v in new.values())/len(models)
    new = {k: v/math.exp(lg) for k, v in new.items()}
    delta = max(abs(math.log(new[k])-math.log(g[k])) for k in models)
    g = new
    if delta < 1e-15: break
print("mm iterations", it)
for k in sorted(models, key=lambda k: -g[k]): print("bt", k, repr(1000 + 400*math.log10(g[k])))
