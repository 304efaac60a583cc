#!/usr/bin/env python3
"""Runs FastChat's own rating code on a battle file: the values FastChatPinnedTests pins, or a timing of FastChat's
rating pipeline. A tool for people, not needed by CI.

Needs a copy of FastChat's fastchat/serve/monitor/rating_systems.py (lm-sys/FastChat) and numpy, scipy, pandas and
tqdm (Debian: apt-get install python3-numpy python3-scipy python3-pandas python3-tqdm; use /usr/bin/python3).

Pins (default): python3 fastchat_reference.py --fastchat DIR [--battles fastchat_battles.json]
  As FastChat's elo_analysis.report_elo_analysis_results does: pd.DataFrame(json), filter (per category), sort by
  tstamp, then compute_elo (online Elo), compute_bt (Bradley-Terry, L-BFGS) and compute_style_control (style control:
  normalised, standardised style differences fitted beside the ratings with reg 0.5). Categories use FastChat's own
  filters: "chinese" (language == "Chinese") and "english" (language == "English") from elo_analysis's filter_func_map,
  and "multi_turn" as turn > 1 (with compute_style_control on "chinese" too). Also prints the optimum of FastChat's
  objectives (its own loss-and-gradient functions, minimised further: see further()) and how far each of FastChat's
  fits stops from it, which bounds the tolerance the tests can ask for.
Timing: python3 fastchat_reference.py --fastchat DIR --battles FILE --bootstrap N
  Wall time of start-up, reading the file and running compute_elo, compute_bootstrap_bt(num_round=N) and compute_bt, as
  report_elo_analysis_results runs them (the bootstrap in a multiprocessing pool of os.cpu_count() workers).
DIR is the folder holding fastchat/serve/monitor/rating_systems.py, or that file's own folder."""
import argparse
import importlib
import json
import math
import os
import sys
import time

STARTED = time.perf_counter()


def load_rating_systems(folder):
    for candidate in (os.path.join(folder, "fastchat", "serve", "monitor", "rating_systems.py"),
                      os.path.join(folder, "rating_systems.py")):
        if os.path.exists(candidate):
            # Imported by name from its folder, so that the bootstrap's worker processes can pickle its functions.
            sys.path.insert(0, os.path.dirname(candidate))
            return importlib.import_module("rating_systems")
    sys.exit(f"no rating_systems.py under {folder}")


def read_battles(path):
    import pandas as pd
    with open(path, encoding="utf-8") as f:
        battles = pd.DataFrame(json.load(f))
    return battles.sort_values(ascending=True, by=["tstamp"]) if "tstamp" in battles else battles


def further(loss_and_grad, x, args):
    """FastChat's loss minimised past its stopping point: Newton steps on FastChat's own gradient (its Jacobian by central
    differences; least squares, as the plain likelihood is flat along a common shift) until the gradient is below 1e-10.
    L-BFGS cannot get there: the loss's rounding hides decreases that small."""
    import numpy as np
    h = 1e-6
    for _ in range(30):
        grad = loss_and_grad(x, *args)[1]
        if np.abs(grad).max() < 1e-10:
            break
        jacobian = np.empty((len(x), len(x)))
        for i in range(len(x)):
            step = np.zeros(len(x))
            step[i] = h
            jacobian[:, i] = (loss_and_grad(x + step, *args)[1] - loss_and_grad(x - step, *args)[1]) / (2 * h)
        x = x - np.linalg.lstsq((jacobian + jacobian.T) / 2, grad, rcond=None)[0]
    return x, np.abs(loss_and_grad(x, *args)[1]).max()


def exact_bt(rs, battles):
    """compute_bt's objective minimised to a gradient of 1e-12 (L-BFGS from FastChat's result, then more iterations)."""
    matchups, outcomes, models, weights = rs.preprocess_for_bt(battles)
    x0 = rs.fit_bt(matchups, outcomes, weights, len(models), math.log(10.0))
    x, grad = further(rs.bt_loss_and_grad, x0, (matchups, outcomes, weights, math.log(10.0)))
    x = x - x.mean() + x0.mean()  # the likelihood is flat along a common shift: keep FastChat's mean
    return dict(zip(models, rs.scale_and_offset(x, models, 400, 1000))), grad


def exact_style(rs, battles):
    matchups, features, outcomes, models = rs.preprocess_for_style(battles)
    x0 = rs.fit_contextual_bt(matchups, features, outcomes, models)
    x, grad = further(rs.contextual_bt_loss_and_grad, x0, (len(models), matchups, features, outcomes, math.log(10.0), 0.5, 0.25))
    return dict(zip(models, rs.scale_and_offset(x[:len(models)], models, 400, 1000))), list(x[len(models):]), grad


def show(title, ratings):
    print(f"# {title}")
    for model, rating in sorted(ratings.items(), key=lambda kv: -kv[1]):
        print(f'["{model}"] = {rating!r},')


def gap(fastchat, exact):
    return max(abs(fastchat[m] - exact[m]) for m in fastchat)


def pins(rs, path):
    battles = read_battles(path)
    print(f"# {len(battles)} battles from {path}")
    show("compute_elo", rs.compute_elo(battles))
    bt = rs.compute_bt(battles).to_dict()
    show("compute_bt", bt)
    exact, grad = exact_bt(rs, battles)
    print(f"# compute_bt's largest distance from the exact optimum: {gap(bt, exact):.3g} rating points (exact fit's gradient {grad:.1e})")
    show("compute_bt's objective at its optimum", exact)
    styled, coefficients = rs.compute_style_control(battles)
    styled = styled.to_dict()
    show("compute_style_control", styled)
    print("# coefficients (length, headers, lists, bold): " + ", ".join(repr(float(c)) for c in coefficients))
    exact, exact_coefficients, grad = exact_style(rs, battles)
    print(f"# compute_style_control's largest distance from the exact optimum: {gap(styled, exact):.3g} rating points, "
          f"{max(abs(a - b) for a, b in zip(coefficients, exact_coefficients)):.3g} in a coefficient (exact fit's gradient {grad:.1e})")
    show("compute_style_control's objective at its optimum", exact)
    print("# coefficients at the optimum: " + ", ".join(repr(float(c)) for c in exact_coefficients))
    # scale_and_offset anchors mixtral-8x7b-instruct-v0.1 at 1114 when it is present: the same battles with one model renamed.
    anchored = battles.replace({"model_a": {"mistral-7b": "mixtral-8x7b-instruct-v0.1"}, "model_b": {"mistral-7b": "mixtral-8x7b-instruct-v0.1"}})
    show("compute_bt with mistral-7b renamed mixtral-8x7b-instruct-v0.1 (anchored at 1114)", rs.compute_bt(anchored).to_dict())
    show("compute_style_control with mistral-7b renamed mixtral-8x7b-instruct-v0.1", rs.compute_style_control(anchored)[0].to_dict())
    categories = {"chinese": lambda x: x["language"] == "Chinese", "english": lambda x: x["language"] == "English",
                  "multi_turn": lambda x: x["turn"] > 1}
    for name, keep in categories.items():
        subset = battles[battles.apply(keep, axis=1)]
        bt = rs.compute_bt(subset).to_dict()
        show(f"compute_bt on category {name} ({len(subset)} battles)", bt)
        exact, grad = exact_bt(rs, subset)
        print(f"# largest distance from the exact optimum: {gap(bt, exact):.3g} rating points (exact fit's gradient {grad:.1e})")
        if name == "chinese":  # the ratings page's default view
            styled, coefficients = rs.compute_style_control(subset)
            styled = styled.to_dict()
            show(f"compute_style_control on category {name}", styled)
            print("# coefficients (length, headers, lists, bold): " + ", ".join(repr(float(c)) for c in coefficients))
            exact, exact_coefficients, grad = exact_style(rs, subset)
            print(f"# largest distance from the exact optimum: {gap(styled, exact):.3g} rating points, "
                  f"{max(abs(a - b) for a, b in zip(coefficients, exact_coefficients)):.3g} in a coefficient (exact fit's gradient {grad:.1e})")


def timing(rs, path, rounds):
    import numpy as np
    np.random.seed(42)  # as elo_analysis's __main__
    read_start = time.perf_counter()
    battles = read_battles(path)
    rating_start = time.perf_counter()
    rs.compute_elo(battles)
    rs.compute_bootstrap_bt(battles, num_round=rounds)
    rs.compute_bt(battles)
    done = time.perf_counter()
    print(f"{len(battles)} battles, {rounds} bootstrap rounds, {os.cpu_count()} cores, load {' '.join(open('/proc/loadavg').read().split()[:3])}: "
          f"wall {done - STARTED:.2f} s from start-up (imports {read_start - STARTED:.2f} s, read {rating_start - read_start:.2f} s, "
          f"Elo + bootstrap BT + BT {done - rating_start:.2f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fastchat", required=True, help="folder holding fastchat/serve/monitor/rating_systems.py")
    parser.add_argument("--battles", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "fastchat_battles.json"))
    parser.add_argument("--bootstrap", type=int, help="time FastChat's rating pipeline with this many bootstrap rounds")
    args = parser.parse_args()
    rs = load_rating_systems(args.fastchat)
    if args.bootstrap is None:
        pins(rs, args.battles)
    else:
        timing(rs, args.battles, args.bootstrap)


if __name__ == "__main__":
    main()
