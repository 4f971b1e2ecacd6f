"""Learning-rate schedules not in Keras itself. Imports Keras: load it only when training."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cnn_core")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to `peak` over the first 30% of steps, then linear down to peak/1000."""

    def __init__(self, peak: float, total_steps: int):
        self.peak, self.total_steps = float(peak), int(total_steps)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        up = max(1.0, 0.3 * self.total_steps)
        down = max(1.0, self.total_steps - up)
        rise = self.peak * (0.1 + 0.9 * step / up)
        fall = self.peak * ops.maximum(0.0, 1.0 - (step - up) / down) + self.peak * 1e-3
        return ops.where(step < up, rise, fall)

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps}
