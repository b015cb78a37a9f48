"""The optimizer a :class:`TrainingConfig` names (``optimizer``, config.OPTIMIZERS)."""

from __future__ import annotations

import keras

from .config import TrainingConfig


@keras.saving.register_keras_serializable(package="edge_sentiment")
class FusedAdam(keras.optimizers.Adam):
    """Adam as TensorFlow's fused kernel (``ResourceApplyAdam``) computes it.

    Keras' own Adam updates each table in a dozen element-wise passes, every step, over every
    row; the fused kernel does it in one, which matters for the bag phase's large embedding
    tables (most of its time). One difference in arithmetic: an id that occurs several times
    in a batch has its gradient summed before it is squared for the second moment, as in the
    Adam paper (Keras squares each occurrence's slice and sums the squares).
    """

    def update_step(self, gradient, variable, learning_rate):
        import tensorflow as tf  # the training stage's backend; the kernel is TensorFlow's

        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=self._momentums[index].handle, v=self._velocities[index].handle,
            beta1_power=tf.pow(beta_1, step), beta2_power=tf.pow(beta_2, step), lr=tf.cast(learning_rate, dtype),
            beta1=beta_1, beta2=beta_2, epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.convert_to_tensor(tf.cast(gradient, dtype)))  # an embedding's sparse gradient, summed per id


def optimizer(config: TrainingConfig) -> keras.optimizers.Optimizer:
    """A fresh optimizer with the config's learning rate and weight decay."""
    kind = {"adam": keras.optimizers.Adam, "fused_adam": FusedAdam, "rmsprop": keras.optimizers.RMSprop}[config.optimizer]
    return kind(learning_rate=config.learning_rate, weight_decay=config.weight_decay or None)
