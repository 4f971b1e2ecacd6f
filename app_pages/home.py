"""Home: what the dashboard teaches, and the learning path through the pages."""

import streamlit as st

from cnn_core.i18n import N_, _
from ui import nav

st.title(_("Learn CNNs by doing"))
st.markdown(_(
    "This dashboard lets you **see** what a convolutional neural network does, then **build and "
    "train** one on real images (MNIST digits, CIFAR-10 photos), right here on your laptop's CPU."
))

PATH = [
    ("convolution", N_("Slide a filter over an image: kernel size, stride and padding decide the output size.")),
    ("pooling", N_("Max against average pooling: what each keeps, and why pooling has no parameters.")),
    ("build", N_("Stack layers (residual blocks too); every output shape and parameter count is shown with its "
                 "formula.")),
    ("train", N_("Train your model live on MNIST or CIFAR-10, stop it, inspect its mistakes.")),
    ("pooling_experiment", N_("A controlled experiment: two models identical but for the pooling kind, over several "
                              "seeds.")),
    ("transfer", N_("Freeze and unfreeze the stages of a pretrained ResNet and measure the difference.")),
    ("quiz", N_("Check yourself; every answer comes with its explanation.")),
]

st.subheader(_("A learning path"))
for n, (key, blurb) in enumerate(PATH, start=1):
    with st.container(border=True):
        nav.page_link(key, f"{n}. {_(nav.PAGES[key][1])}")
        st.caption(_(blurb))

# One point per msgid: a translator sees one sentence at a time.
LECTURE_POINTS = [
    N_("A larger filter, or a larger stride, gives a smaller output; `padding='same'` keeps the size."),
    N_("2x2 pooling with stride 2 halves height and width, keeps the channels, has no parameters."),
    N_("A conv layer shares its weights: (32,32,3) through 32 filters of 3x3 needs (3x3x3)x32 + 32 = 896 "
       "parameters; a Dense layer between the same sizes would need about 88 million."),
    N_("`trainable = False` leaves fewer parameters to train; the total stays the same."),
    N_("ResNet's skip connections let deep networks train without losing the signal."),
]

st.subheader(_("What the lecture's points look like here"))
st.markdown("\n".join(f"- {_(point)}" for point in LECTURE_POINTS))
