"""Strided 3-D convolutions on a CPU: Keras's native layers against thesis_gan.ops.conv3d's implementations.

Every implementation of `conv3d_layers` (`keras`, `zero-insert`: zero insertion / subsampling around stride-1
convolutions, `phase`: the phase decomposition) gives the same outputs; this measures one forward + backward pass
of generator and discriminator of a small video GAN with each, interleaved A B C A B C ..., and prints medians and
the ratios to Keras's layers. `benchmarks/video_step.py` measures whole training steps and each operator.
Usage: python benchmarks/conv3d_cpu.py [--shape 8,32,32] [--rounds 5]
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from thesis_gan.models.dcgan import conv_discriminator, conv_generator  # noqa: E402
from thesis_gan.models.video import video_gan_specs


def step_fn(gen, disc, batch, latent_dim, shape):
    x = tf.random.uniform((batch, *shape, 3), -1, 1)
    z = tf.random.normal((batch, latent_dim))

    @tf.function
    def step():
        with tf.GradientTape(persistent=True) as tape:
            fake = gen(z, training=True)
            loss = tf.reduce_mean(disc(fake, training=True)) - tf.reduce_mean(disc(x, training=True))
        return [tape.gradient(loss, m.trainable_variables) for m in (gen, disc)]

    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", default="8,32,32")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    shape = tuple(int(v) for v in args.shape.split(","))
    g_spec, d_spec = video_gan_specs(shape, width=args.width)
    names = ("keras", "zero-insert", "phase")
    steps = {}
    for name in names:
        keras.utils.set_random_seed(0)
        gen = conv_generator(g_spec, fast_conv3d=name)
        disc = conv_discriminator(d_spec, fast_conv3d=name)
        steps[name] = step_fn(gen, disc, args.batch, g_spec.latent_dim, shape)
        steps[name]()  # trace
    times = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            start = time.perf_counter()
            steps[name]()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"video GAN forward + backward, clips {shape} x{args.batch}, generator width {args.width}, "
          f"{args.rounds} rounds A B C A B C")
    print("| conv3d_layers | median s/step | speed-up over keras |\n|---|---|---|")
    for name in names:
        print(f"| {name} | {medians[name]:.3f} | {medians['keras'] / medians[name]:.1f}x |")


if __name__ == "__main__":
    main()
