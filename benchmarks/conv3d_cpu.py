"""Strided 3-D convolutions on a CPU: Keras's native layers against thesis_gan.ops.conv3d's rewrite, side by side.

The rewrite (zero insertion / subsampling around stride-1 convolutions) gives the same outputs; this measures one
training step (forward + backward of generator and discriminator) of a small video GAN with each, interleaved
A B A B ..., and prints medians and the ratio. Usage: python benchmarks/conv3d_cpu.py [--shape 8,32,32] [--rounds 5]
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
    steps = {}
    for native in (True, False):
        keras.utils.set_random_seed(0)
        gen = conv_generator(g_spec, fast_conv3d=not native)
        disc = conv_discriminator(d_spec, fast_conv3d=not native)
        steps[native] = step_fn(gen, disc, args.batch, g_spec.latent_dim, shape)
        steps[native]()  # trace
    times = {True: [], False: []}
    for _ in range(args.rounds):
        for native in (True, False):
            start = time.perf_counter()
            steps[native]()
            times[native].append(time.perf_counter() - start)
    native, rewrite = statistics.median(times[True]), statistics.median(times[False])
    print(f"video GAN step, clips {shape} x{args.batch}, generator width {args.width}, {args.rounds} rounds A B A B")
    print(f"| ops | median s/step |\n|---|---|\n| TensorFlow native strided Conv3D/Conv3DTranspose | {native:.3f} |")
    print(f"| stride-1 rewrite (thesis_gan.ops.conv3d) | {rewrite:.3f} |")
    print(f"speed-up: {native / rewrite:.1f}x")


if __name__ == "__main__":
    main()
