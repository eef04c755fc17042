"""The DCGAN video training step on this machine: operators, whole steps and the FLOP rate, side by side in one run.

Three tables, each measured in interleaved rounds (A B C ... A B C ...) and reported as medians:

1. operators: every transposed 3-D convolution of the generators below, forward + backward (gradients with respect
   to the input and the kernel), for Keras's `Conv3DTranspose`, the zero-insertion rewrite (`"zero-insert"`, the
   default before phase decomposition) and the phase decomposition (`"phase"`); time relative to Keras's layer;
2. training steps: one step of the one trainer (`GAN.train_step`, variant `gan`: a discriminator step and a
   generator step on a batch of uint8 clips) with each implementation's layers, and a textbook
   `keras.Model.train_step` (keras.io's DCGAN example: two tapes, binary cross-entropy) on the same networks;
   clips per second and the convolutions' FLOP rate as a fraction of a float32 GEMM (`tf.matmul` of two
   `--gemm`-square matrices) timed in the same rounds;
3. switches: XLA (`jit_compile=True`) and mixed precision (`mixed_bfloat16`) on the phase step, against the same
   step without them (`--switches`; slow to compile on a CPU).

FLOPs are counted analytically for the convolutions only (2 per multiply-add; a transposed convolution counts
the multiply-adds of its input voxels times its kernel taps, not the zeros a naive implementation inserts). A
training step counts 4 generator forward passes + 8 discriminator forward passes: the discriminator step runs the
generator forward, the discriminator forward on real and fake clips and backward (2x forward) on both; the
generator step runs both forward, the discriminator backward to its input (1x) and the generator backward (2x).

Shapes: the quick clip shapes of the CLI and the book (`video_gan_specs`, width 8) and seed experiment 8's
CPU-sized member (`get_experiment(8).quick_version()`). The machine may be shared: read the ratios, not the
absolute times.

    python benchmarks/video_step.py [--shapes 8,16,16 16,32,32 exp8] [--batch 8] [--rounds 5] [--switches]
"""
import argparse
import math
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from thesis_gan.experiments import get_experiment  # noqa: E402
from thesis_gan.models.dcgan import conv_discriminator, conv_generator  # noqa: E402
from thesis_gan.models.video import video_gan_specs  # noqa: E402
from thesis_gan.ops.conv3d import CONV3D_IMPLEMENTATIONS  # noqa: E402
from thesis_gan.training.trainer import build_gan  # noqa: E402

OPS = ("keras", "zero-insert", "phase")


def specs(name):
    """`(GeneratorSpec, DiscriminatorSpec)` for a clip shape `T,H,W` or `exp8` (seed experiment 8, CPU-sized)."""
    if name == "exp8":
        experiment = get_experiment(8).quick_version()
        return experiment.generator, experiment.discriminator
    return video_gan_specs(tuple(int(v) for v in name.split(",")))


def conv_flops(g_spec, d_spec):
    """Forward FLOPs per sample of the generator's transposed convolutions and the discriminator's convolutions."""
    gen, size, channels = 0, list(g_spec.base_shape[:-1]), g_spec.base_shape[-1]
    for block in g_spec.blocks:
        gen += 2 * math.prod(size) * g_spec.kernel_size ** 3 * channels * block.filters
        size, channels = [n * s for n, s in zip(size, block.strides)], block.filters
    disc, size, channels = 0, list(d_spec.input_shape[:-1]), d_spec.input_shape[-1]
    for block in d_spec.blocks:
        size = [-(-n // s) for n, s in zip(size, block.strides)]
        disc += 2 * math.prod(size) * d_spec.kernel_size ** 3 * channels * block.filters
        channels = block.filters
    return gen, disc


def interleaved(candidates, rounds, repeats=1):
    """Median seconds per call of each `name: fn` (each called once untimed first), timed A B C ... per round."""
    for fn in candidates.values():
        fn()
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            start = time.perf_counter()
            for _ in range(repeats):
                fn()
            times[name].append((time.perf_counter() - start) / repeats)
    return {name: statistics.median(t) for name, t in times.items()}


def gemm(n, dtype=tf.float32):
    """A compiled `n x n` matmul and its FLOPs."""
    a, b = tf.random.normal((n, n), dtype=tf.float32), tf.random.normal((n, n), dtype=tf.float32)
    a, b = tf.cast(a, dtype), tf.cast(b, dtype)
    fn = tf.function(lambda: tf.matmul(a, b))
    return (lambda: fn().numpy()), 2 * n ** 3


def operator_step(cls, layer, batch):
    """Forward + backward of one transposed convolution with the given class and `layer`'s configuration."""
    x = tf.random.normal((batch, *layer.input.shape[1:]))
    op = cls.from_config({**layer.get_config(), "activation": None})
    op.build(x.shape)
    op.set_weights(layer.get_weights())
    upstream = tf.random.normal(op.compute_output_shape(x.shape))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(op(x) * upstream)
        return tape.gradient(loss, [x, op.kernel])

    return lambda: [g.numpy() for g in step()]


class TextbookGAN(keras.Model):
    """keras.io's DCGAN example (`keras.Model.train_step` with two tapes and binary cross-entropy)."""

    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    def train_step(self, real_images):
        real_images = tf.cast(real_images, tf.float32) / 127.5 - 1.0
        batch_size = tf.shape(real_images)[0]
        z = tf.random.normal((batch_size, self.latent_dim))
        generated = self.generator(z)
        combined = tf.concat([generated, real_images], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = tf.random.normal((batch_size, self.latent_dim))
        with tf.GradientTape() as tape:
            g_loss = self.loss_fn(tf.zeros((batch_size, 1)), self.discriminator(self.generator(z)))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


def training_step(g_spec, d_spec, batch, fast, textbook=False, jit_compile=False, policy="float32"):
    """A compiled training step of the DCGAN video GAN on one fixed uint8 batch, as a callable."""
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        generator = conv_generator(g_spec, fast_conv3d=fast)
        discriminator = conv_discriminator(d_spec, fast_conv3d=fast)
        if textbook:
            gan = TextbookGAN(generator, discriminator, g_spec.latent_dim)
            gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
        else:
            gan = build_gan("gan", generator, discriminator, g_spec.latent_dim, seed=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    clips = tf.constant(np.random.default_rng(0).integers(0, 256, (batch, *d_spec.input_shape), dtype=np.uint8))
    step = tf.function(gan.train_step, jit_compile=jit_compile, autograph=False)
    return lambda: float(step(clips)["g_loss"])


def table(rows, columns):
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c])
                                       for c in columns) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["8,16,16", "16,32,32", "exp8"])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gemm", type=int, default=1024, help="side of the square float32 GEMM")
    parser.add_argument("--switches", action="store_true", help="also measure XLA and mixed_bfloat16")
    parser.add_argument("--skip-ops", action="store_true", help="only the training steps")
    parser.add_argument("--steps", nargs="+", default=None, help="only these steps (names as in the table)")
    args = parser.parse_args(argv)
    logger = tf.get_logger()
    logger.setLevel("ERROR")
    gemm_fn, gemm_flops = gemm(args.gemm)
    print(f"batch {args.batch}, {args.rounds} interleaved rounds, medians; {os.cpu_count()} CPUs visible\n")

    if not args.skip_ops:
        rows = []
        for name in args.shapes:
            g_spec, _ = specs(name)
            generator = conv_generator(g_spec, fast_conv3d=False)
            for layer in generator.layers:
                if not isinstance(layer, keras.layers.Conv3DTranspose):
                    continue
                fns = {op: operator_step(CONV3D_IMPLEMENTATIONS[op][1], layer, args.batch) for op in OPS}
                t = interleaved(fns, args.rounds, repeats=3)
                rows.append({"shape": name, "layer": layer.name, "input": tuple(layer.input.shape[1:]),
                             "filters": layer.filters, "kernel": layer.kernel_size[0], "strides": layer.strides,
                             **{f"{op} ms": 1e3 * t[op] for op in OPS},
                             **{f"keras/{op}": t["keras"] / t[op] for op in OPS[1:]}})
        print("Transposed 3-D convolutions, forward + backward (input and kernel gradients):\n")
        print(table(rows, ["shape", "layer", "input", "filters", "kernel", "strides", *[f"{op} ms" for op in OPS],
                           *[f"keras/{op}" for op in OPS[1:]]]) + "\n")

    columns = ["shape", "step", "ms/step", "clips/s", "vs zero-insert", "GFLOP/s", "of GEMM"]
    print("Training steps (variant gan, one discriminator + one generator step), one table per shape:")
    for name in args.shapes:
        g_spec, d_spec = specs(name)
        g_flops, d_flops = conv_flops(g_spec, d_spec)
        step_flops = args.batch * (4 * g_flops + 8 * d_flops)
        fns = {"gemm": gemm_fn,
               "trainer, keras": lambda: training_step(g_spec, d_spec, args.batch, "keras"),
               "trainer, zero-insert (before)": lambda: training_step(g_spec, d_spec, args.batch, "zero-insert"),
               "trainer, phase": lambda: training_step(g_spec, d_spec, args.batch, "phase"),
               "textbook, keras": lambda: training_step(g_spec, d_spec, args.batch, "keras", textbook=True),
               "textbook, phase": lambda: training_step(g_spec, d_spec, args.batch, "phase", textbook=True)}
        if args.switches:
            fns["trainer, phase, XLA"] = lambda: training_step(g_spec, d_spec, args.batch, "phase", jit_compile=True)
            fns["trainer, phase, mixed_bfloat16"] = lambda: training_step(g_spec, d_spec, args.batch, "phase",
                                                                          policy="mixed_bfloat16")
        if args.steps:
            fns = {k: v for k, v in fns.items() if k in ("gemm", "trainer, zero-insert (before)", *args.steps)}
        fns = {k: (v if k == "gemm" else v()) for k, v in fns.items()}  # build the selected steps only
        t = interleaved(fns, args.rounds)
        gemm_rate = gemm_flops / t.pop("gemm")
        rows = [{"shape": name, "step": step, "ms/step": 1e3 * seconds, "clips/s": args.batch / seconds,
                 "vs zero-insert": t["trainer, zero-insert (before)"] / seconds,
                 "GFLOP/s": step_flops / seconds / 1e9, "of GEMM": step_flops / seconds / gemm_rate}
                for step, seconds in t.items()]
        print(f"\n{name}: {step_flops / 1e9:.2f} GFLOP per step (convolutions), float32 GEMM {gemm_rate / 1e9:.0f} "
              f"GFLOP/s in the same rounds\n")
        print(table(rows, columns), flush=True)

if __name__ == "__main__":
    main()
