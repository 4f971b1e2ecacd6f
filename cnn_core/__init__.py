"""cnn_core: the library behind the CNN classroom dashboard.

No Streamlit here, and no TensorFlow at import time: `arithmetic`, `spec`, `conv` and `quiz`
are pure Python/NumPy; `models`, `training`, `experiments` and `transfer` import Keras when
they are used. Usable from a notebook or a script.
"""
