"""Throughput and memory of the moving-objects tf.data pipeline, batched like training.

For each shape, the pipeline is built once and warmed up; then rounds of `--batches` batches are timed in
interleaved order (shape A, shape B, A, B, ...) and the table reports the median clips per second, for the
parallel pipeline (`num_parallel_calls=AUTOTUNE`) and for one rendering thread, so the ratio shows what the
parallel map buys on this machine. Compare the clips/s with the training step's clips/s (steps/s × batch size):
the data pipeline must be faster than the step, or training waits for data.

First a long run streams `--long-clips` clips at the seed shape and reports the peak resident memory
(`resource.getrusage` max RSS) before and after, against the size that the same clips would take in memory.

    python benchmarks/data_pipeline.py [--shapes 16,32,32 60,36,48] [--batch-size 16] [--batches 8] [--rounds 3]
                                       [--long-clips 2000]
"""
import argparse
import os
import resource
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

from thesis_gan.data.moving_objects import moving_objects_dataset


def max_rss_mb():
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["16,32,32", "60,36,48"], help="T,H,W of each shape")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--batches", type=int, default=8, help="batches per timed round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n-objects", type=int, nargs=2, default=(1, 2))
    parser.add_argument("--long-clips", type=int, default=2000, help="clips streamed in the memory run (0: skip)")
    parser.add_argument("--long-shape", default="60,36,48")
    parser.add_argument("--train-width", type=int, default=16,
                        help="also time a DCGAN training step on the same shapes (generator width; 0: skip)")
    args = parser.parse_args(argv)
    shapes = [tuple(int(s) for s in text.split(",")) for text in args.shapes]

    if args.long_clips:
        shape = tuple(int(s) for s in args.long_shape.split(","))
        clip_mb = shape[0] * shape[1] * shape[2] * 3 / 2**20
        before = max_rss_mb()
        start = time.perf_counter()
        n = 0
        for batch in moving_objects_dataset(shape, seed=1, n_objects=tuple(args.n_objects)).batch(
                args.batch_size).take(-(-args.long_clips // args.batch_size)):
            n += int(batch.shape[0])
        elapsed = time.perf_counter() - start
        after = max_rss_mb()
        # first, so that this peak is not hidden by the throughput runs' prefetch buffers
        print(f"long run: {n} clips of {shape} streamed in {elapsed:.1f} s ({n / elapsed:.0f} clips/s); "
              f"peak RSS {before:.0f} MiB before, {after:.0f} MiB after (+{after - before:.0f} MiB); "
              f"the clips would take {n * clip_mb:.0f} MiB in memory\n")
    iterators = {}
    for shape in shapes:
        for parallel in ("autotune", "1"):
            calls = tf.data.AUTOTUNE if parallel == "autotune" else 1
            ds = moving_objects_dataset(shape, seed=0, n_objects=tuple(args.n_objects), num_parallel_calls=calls)
            it = iter(ds.batch(args.batch_size))
            for _ in range(2):  # warm-up: threads, prefetch buffer
                next(it)
            iterators[shape, parallel] = it
    steps = {}
    if args.train_width:
        from thesis_gan.training.trainer import build_gan
        from thesis_gan.models.dcgan import conv_discriminator, conv_generator
        from thesis_gan.models.video import video_gan_specs

        for shape in shapes:
            g_spec, d_spec = video_gan_specs(shape, width=args.train_width)
            gan = build_gan("gan", conv_generator(g_spec), conv_discriminator(d_spec), g_spec.latent_dim, seed=0)
            batch = next(iterators[shape, "autotune"])
            step = tf.function(gan.train_step)
            step(batch)  # trace
            steps[shape] = (step, batch)
    rates = {key: [] for key in [*iterators, *[(shape, "train") for shape in steps]]}
    for _ in range(args.rounds):
        for key, it in iterators.items():  # interleaved: A B C D A B C D ...
            start = time.perf_counter()
            for _ in range(args.batches):
                next(it)
            rates[key].append(args.batches * args.batch_size / (time.perf_counter() - start))
        for shape, (step, batch) in steps.items():
            start = time.perf_counter()
            step(batch)
            rates[shape, "train"].append(args.batch_size / (time.perf_counter() - start))

    print(f"moving_objects_dataset clips/s, batch {args.batch_size}, n_objects {tuple(args.n_objects)}, median of "
          f"{args.rounds} interleaved rounds of {args.batches} batches, {os.cpu_count()} CPU cores")
    print("| shape (T,H,W) | clips/s parallel | clips/s 1 thread | ratio | MB/s parallel |")
    print("|---|---|---|---|---|")
    for shape in shapes:
        par, one = statistics.median(rates[shape, "autotune"]), statistics.median(rates[shape, "1"])
        mb = par * shape[0] * shape[1] * shape[2] * 3 / 2**20
        print(f"| {shape} | {par:.0f} | {one:.0f} | {par / one:.2f} | {mb:.1f} |")
    if steps:
        print(f"\nDCGAN training step (generator width {args.train_width}, same rounds) against the pipeline:")
        print("| shape (T,H,W) | pipeline clips/s | training step clips/s | pipeline / step |")
        print("|---|---|---|---|")
        for shape in steps:
            par, train = statistics.median(rates[shape, "autotune"]), statistics.median(rates[shape, "train"])
            print(f"| {shape} | {par:.0f} | {train:.1f} | {par / train:.0f}x |")
    del iterators


if __name__ == "__main__":
    main()
