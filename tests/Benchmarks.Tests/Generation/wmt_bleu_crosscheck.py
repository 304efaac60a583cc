# Independent cross-check of corpus BLEU for tests/Benchmarks.Tests/Generation/WmtBleuTests.cs (not run by the tests).
# Written here from sacreBLEU 2.x's description (tokenizer_zh.py, tokenizer_re.py, metrics/bleu.py): Python's own
# string comparison, regex and str.split() give the original's behaviour, quirks included, without sacreBLEU installed.
# Usage: python3 wmt_bleu_crosscheck.py [../shared/datasets/wmt22_en_zh/txt]  → one line per system: BLEU vs ref A, vs A+B.
import glob, math, os, re, sys
from collections import Counter

R = [('\u3400','\u4db5'),('\u4e00','\u9fa5'),('\u9fa6','\u9fbb'),('\uf900','\ufa2d'),('\ufa30','\ufa6a'),('\ufa70','\ufad9'),
     ('\u20000','\u2a6d6'),('\u2f800','\u2fa1d'),('\uff00','\uffef'),('\u2e80','\u2eff'),('\u3000','\u303f'),('\u31c0','\u31ef'),
     ('\u2f00','\u2fdf'),('\u2ff0','\u2fff'),('\u3100','\u312f'),('\u31a0','\u31bf'),('\ufe10','\ufe1f'),('\ufe30','\ufe4f'),
     ('\u2600','\u26ff'),('\u2700','\u27bf'),('\u3200','\u32ff'),('\u3300','\u33ff')]
def zh(c): return any(a <= c <= b for a, b in R)
RX = [(re.compile(r'([\{-\~\[-\` -\&\(-\+\:-\@\/])'), r' \1 '), (re.compile(r'([^0-9])([\.,])'), r'\1 \2 '),
      (re.compile(r'([\.,])([^0-9])'), r' \1 \2'), (re.compile(r'([0-9])(-)'), r'\1 \2 ')]
def tok(line):
    line = line.rstrip().strip()
    s = ''.join(' ' + c + ' ' if zh(c) else c for c in line)
    for r, p in RX: s = r.sub(p, s)
    return s.split()
def grams(t):
    c = Counter()
    for n in range(1, 5):
        for i in range(len(t) - n + 1): c[tuple(t[i:i+n])] += 1
    return c
def stats(h, refs):
    ht = tok(h); rts = [tok(r) for r in refs]
    rc = Counter()
    for rt in rts:
        for g, k in grams(rt).items(): rc[g] = max(rc[g], k)
    best = None
    for L in [len(x) for x in rts]:
        d = abs(len(ht) - L)
        if best is None or d < best[0] or (d == best[0] and L < best[1]): best = (d, L)
    cor = [0]*4; tot = [0]*4
    for g, k in grams(ht).items():
        tot[len(g)-1] += k; cor[len(g)-1] += min(k, rc.get(g, 0))
    return [len(ht), best[1]] + cor + tot
def bleu(S):
    sys_, ref = S[0], S[1]; cor, tot = S[2:6], S[6:10]
    bp = 1.0 if sys_ >= ref else (math.exp(1 - ref/sys_) if sys_ > 0 else 0.0)
    if not any(cor): return 0.0
    p = [0.0]*4; sm = 1.0
    for n in range(4):
        if tot[n] == 0: break
        if cor[n] == 0: sm *= 2; p[n] = 100.0/(sm*tot[n])
        else: p[n] = 100.0*cor[n]/tot[n]
    return bp*math.exp(sum(math.log(x) if x > 0 else -9999999999 for x in p)/4)
d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '../../../../shared/datasets/wmt22_en_zh/txt')
rd = lambda f: open(f, encoding='utf-8').read().split('\n')[:2037]
A = rd(d+'/references/generaltest2022.en-zh.ref.A.zh'); B = rd(d+'/references/generaltest2022.en-zh.ref.B.zh')
for f in sorted(glob.glob(d+'/system-outputs/*.zh')):
    H = rd(f); name = os.path.basename(f).split('.hyp.')[1][:-3]
    sa = [sum(x) for x in zip(*[stats(h, [a]) for h, a in zip(H, A)])]
    sab = [sum(x) for x in zip(*[stats(h, [a, b]) for h, a, b in zip(H, A, B)])]
    print(f'{name}\tA={bleu(sa):.4f}\tAB={bleu(sab):.4f}\tstatsA={sa}')
