"""Training speed of every GAN variant on the 2-D benchmark, measured side by side.

Each variant is built and compiled once; then short rounds are timed in interleaved order (A B C ... A B C ...),
and the table reports the median generator steps per second over rounds and the ratio to the first variant.

    python benchmarks/variant_speed_2d.py [--data ring] [--batch-size N] [--steps-per-round 50] [--rounds 5]
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from thesis_gan.eval.protocol_2d import markdown_table, measure_step_rate
from thesis_gan.objectives.registry import VARIANTS


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--data", default="ring", choices=["ring", "grid"])
    parser.add_argument("--batch-size", type=int, default=None, help="default: each setting's")
    parser.add_argument("--steps-per-round", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    rows = measure_step_rate(args.variants, data=args.data, batch_size=args.batch_size,
                             steps_per_round=args.steps_per_round, rounds=args.rounds)
    print(f"generator steps per second on {args.data}, batch {args.batch_size or 'per setting'}, median of {args.rounds} interleaved "
          f"rounds of {args.steps_per_round} steps")
    print(markdown_table(rows, ["variant", "n_critic", "steps_per_second", "relative"]))


if __name__ == "__main__":
    main()
