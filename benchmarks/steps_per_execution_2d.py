"""Steps per second of a 2-D setting's training through `train` (fit) at several `steps_per_execution`, interleaved.

    python benchmarks/steps_per_execution_2d.py --setting gan --values 1 50 --steps 500 --rounds 5

Each value gets its own compiled model (built once, warmed up once); then every round trains `--steps` steps with
each value in turn (A B A B ...), and the table shows the median steps/s per value and the ratio to the first.
"""
import argparse
import statistics
import time

import keras

from thesis_gan.data.mixtures import get_mixture
from thesis_gan.eval.protocol_2d import markdown_table
from thesis_gan.objectives.registry import get_setting_2d
from thesis_gan.training.trainer import train


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", default="gan")
    parser.add_argument("--values", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setting, data = get_setting_2d(args.setting), get_mixture("ring").dataset(seed=0)
    gans = {}
    for n in args.values:
        keras.utils.set_random_seed(0)
        gans[n] = setting.build_gan(seed=0, steps_per_execution=n)
        train(gans[n], data, args.steps, setting.batch_size, steps_per_epoch=args.steps, verbose=0)  # warm up
    rates = {n: [] for n in args.values}
    for _ in range(args.rounds):
        for n in args.values:
            start = time.perf_counter()
            train(gans[n], data, args.steps, setting.batch_size, steps_per_epoch=args.steps, verbose=0)
            rates[n].append(args.steps / (time.perf_counter() - start))
    base = statistics.median(rates[args.values[0]])
    print(markdown_table([{"steps_per_execution": n, "steps_per_second": statistics.median(r),
                           "relative": statistics.median(r) / base, "rounds": " ".join(f"{x:.0f}" for x in r)}
                          for n, r in rates.items()], digits=2))


if __name__ == "__main__":
    main()
