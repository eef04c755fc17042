"""Ten seeds at once vs a textbook Keras GAN: training steps per second per seed, side by side in one run.

Three ways to train PacGAN's GAN on the ring (PacGAN's networks, Adam 1e-4 β1 0.8, batch 100 per seed):

- `textbook`: keras.io's "GAN overriding `Model.train_step`" (one seed, `fit`, one step per call);
- `ours, 1 seed`: this package's trainer (`runs.build_run`, `steps_per_execution` 50);
- `ours, S seeds`: the same with S replicates as one network (a seed axis on every weight).

Rounds are interleaved (textbook, ours 1, ours S, GEMM, textbook, ...) and the table reports medians, the speed-up
per seed over the textbook, and the fraction of the float32 GEMM rate measured in the same rounds (FLOPs of a step
counted from the layer sizes).

    python benchmarks/seeds_together_2d.py [--seeds 10] [--steps 100] [--rounds 5]
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import tensorflow as tf

from thesis_gan.data.mixtures import get_mixture
from thesis_gan.data.pipeline import training_batches
from thesis_gan.eval.protocol_2d import markdown_table
from thesis_gan.models.mlp import pacgan_discriminator, pacgan_generator
from thesis_gan.objectives.registry import get_setting_2d
from thesis_gan.runs import RunConfig, build_run, run_record


class TextbookGAN(keras.Model):
    """keras.io's GAN with a custom `train_step` (same maths as `GAN` with the non-saturating loss)."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator, self.generator, self.latent_dim = discriminator, generator, latent_dim
        self.seed_generator = keras.random.SeedGenerator(0)

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def train_step(self, real):
        batch_size = tf.shape(real)[0]
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        fake = self.generator(z, training=True)
        combined = tf.concat([fake, real], axis=0)
        labels = tf.concat([tf.zeros((batch_size, 1)), tf.ones((batch_size, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined, training=True))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            g_loss = self.loss_fn(tf.ones((batch_size, 1)),
                                  self.discriminator(self.generator(z, training=True), training=True))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


def dense_macs(model):
    """Multiply-accumulates per sample of the dense (and maxout) kernels of a one-seed 2-D network."""
    return sum(int(w.shape[-2]) * int(w.shape[-1]) for w in model.weights if "kernel" in w.path)


def gan_step_flops(batch):
    """FLOPs of one non-saturating GAN step per seed: D step G + 3·2D (fwd, bwd ×2 on real and fake), G step
    3·G + 2·D (D's backward to its input only), 2 FLOPs per multiply-accumulate."""
    g, d = dense_macs(pacgan_generator()), dense_macs(pacgan_discriminator())
    return 2 * batch * (4 * g + 8 * d)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=100, help="generator steps per timed round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    setting, ring = get_setting_2d("gan"), get_mixture("ring")
    batch = setting.batch_size

    keras.utils.set_random_seed(0)
    textbook = TextbookGAN(pacgan_discriminator(), pacgan_generator(), setting.latent_dim)
    textbook.compile(setting.make_d_optimizer(), setting.make_g_optimizer())
    candidates = {"textbook (keras.io), 1 seed": (textbook, ring.dataset(seed=0).repeat().batch(batch), 1)}
    for seeds in (1, args.seeds):
        gan = build_run(run_record(RunConfig(variant="gan", data="ring", seeds=seeds, steps=args.steps,
                                             steps_per_epoch=args.steps)))
        candidates[f"ours, {seeds} seed{'s' if seeds > 1 else ''}"] = (
            gan, training_batches(ring.dataset(seed=0), batch * seeds, 1), seeds)
    for model, data, _ in candidates.values():  # trace and compile
        model.fit(data, steps_per_epoch=args.steps, epochs=1, verbose=0, shuffle=False)

    a = tf.random.normal((1024, 1024))
    matmul = tf.function(lambda x: tf.matmul(x, x))
    matmul(a).numpy()
    rates, gemm = {name: [] for name in candidates}, []
    for _ in range(args.rounds):
        for name, (model, data, seeds) in candidates.items():
            start = time.perf_counter()
            model.fit(data, steps_per_epoch=args.steps, epochs=1, verbose=0, shuffle=False)
            rates[name].append(seeds * args.steps / (time.perf_counter() - start))
        start = time.perf_counter()
        for _ in range(20):
            out = matmul(a)
        out.numpy()
        gemm.append(20 * 2 * 1024 ** 3 / (time.perf_counter() - start))
    flops, gemm_rate = gan_step_flops(batch), statistics.median(gemm)
    base = statistics.median(rates[next(iter(rates))])
    rows = [{"training": name, "seed-steps/s": statistics.median(r), "per seed vs textbook": statistics.median(r) / base,
             "% of GEMM rate": 100 * statistics.median(r) * flops / gemm_rate} for name, r in rates.items()]
    print(f"PacGAN's GAN on the ring, batch {batch} per seed, {flops / 1e9:.2f} GFLOP per step and seed; "
          f"float32 GEMM (1024²) {gemm_rate / 1e9:.0f} GFLOP/s; medians of {args.rounds} interleaved rounds of "
          f"{args.steps} steps")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
