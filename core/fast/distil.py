"""What training takes from the any-painting network (``core.fast.train``): the teacher,
the starting weights of a network of its design, the dithered crops both networks see, and
the distillation phase's network compiled against per-pixel targets."""

from __future__ import annotations

import numpy as np

from core.errors import UserError
from core.fast.settings import TrainConfig


class Teacher:
    """The any-painting network with one painting's style vector: the pictures that
    distillation learns from, the teacher term follows and fine-tuning takes as content
    target, and the starting weights of a network of its design (``start_from_teacher``)."""

    def __init__(self, style: np.ndarray):
        from core.fast import arbitrary
        from core.fast.apply import compiled

        try:
            predictor = arbitrary.load_style_predictor()
            self.network = compiled(arbitrary.load_arbitrary_transformer())
        except UserError as error:
            raise UserError(f"learning from the any-painting network needs it: {error} "
                            "(or train Johnson et al.'s design on Gram losses alone: design "
                            "johnson, distil_steps 0, teacher_weight 0)") from None
        self.vector = arbitrary.style_vector(predictor, style)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        vectors = np.repeat(self.vector[None], len(batch), axis=0)
        return np.asarray(self.network([batch / 255.0, vectors]), np.float32) * 255.0


def start_from_teacher(transformer, teacher: Teacher) -> None:
    """Sets a network of the any-painting design (``core.fast.network``) to its teacher with
    the teacher's painting: each convolution's weights, and each instance norm's scale and
    shift as the teacher computes them from the painting's style vector."""
    import keras

    from core.fast.apply import Compiled

    # the Keras model (behind a tf.function under TensorFlow; itself under other backends)
    source = teacher.network.network if isinstance(teacher.network, Compiled) else teacher.network
    vector = teacher.vector[None]
    for layer in transformer.layers:
        if isinstance(layer, keras.layers.Conv2D):
            layer.set_weights(source.get_layer(layer.name).get_weights())
        elif isinstance(layer, keras.layers.GroupNormalization):
            base = layer.name.removesuffix("_norm")
            layer.set_weights([keras.ops.convert_to_numpy(
                source.get_layer(f"{base}_{part}")(vector))[0] for part in ("gamma", "beta")])


def dithered_batch(batch: np.ndarray, levels: float, seed: int, step: int) -> np.ndarray:
    """The crops as every fast network sees a photo (``core.fast.apply.dithered``), with
    noise seeded by the step, so that a resumed run sees the same crops."""
    from core.fast.apply import dithered

    return dithered(batch, levels, seed=(seed, step)).astype(np.float32)


def make_distiller(transformer, config: TrainConfig):
    """The transformer compiled against per-pixel targets (mean squared error, 0..255)."""
    import keras

    distiller = keras.Model(transformer.inputs, transformer.outputs, name="distiller")
    distiller.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="mse")
    distiller.optimizer.build(distiller.trainable_variables)
    return distiller
