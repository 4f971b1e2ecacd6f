"""Home: what the dashboard teaches, and the learning path through the pages."""

import streamlit as st

from ui import nav

st.title("Learn CNNs by doing")
st.markdown(
    "This dashboard lets you **see** what a convolutional neural network does, then **build and "
    "train** one on real images (MNIST digits, CIFAR-10 photos), right here on your laptop's CPU."
)

PATH = [
    ("convolution", "Slide a filter over an image: kernel size, stride and padding decide the output size."),
    ("pooling", "Max against average pooling: what each keeps, and why pooling has no parameters."),
    ("build", "Stack layers (residual blocks too); every output shape and parameter count is shown with its formula."),
    ("train", "Train your model live on MNIST or CIFAR-10, stop it, inspect its mistakes."),
    ("pooling_experiment", "A controlled experiment: two models identical but for the pooling kind, over several seeds."),
    ("transfer", "Freeze and unfreeze the stages of a pretrained ResNet and measure the difference."),
    ("quiz", "Check yourself; every answer comes with its explanation."),
]

st.subheader("A learning path")
for n, (key, blurb) in enumerate(PATH, start=1):
    with st.container(border=True):
        nav.page_link(key, f"{n}. {nav.PAGES[key][1]}")
        st.caption(blurb)

st.subheader("What the lecture's points look like here")
st.markdown(
    "- A larger filter, or a larger stride, gives a smaller output; `padding='same'` keeps the size.\n"
    "- 2x2 pooling with stride 2 halves height and width, keeps the channels, has no parameters.\n"
    "- A conv layer shares its weights: (32,32,3) through 32 filters of 3x3 needs (3x3x3)x32 + 32 "
    "= 896 parameters; a Dense layer between the same sizes would need about 88 million.\n"
    "- `trainable = False` leaves fewer parameters to train; the total stays the same.\n"
    "- ResNet's skip connections let deep networks train without losing the signal."
)
