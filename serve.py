"""Start the classroom server: `.venv/bin/python serve.py [Streamlit's options]`.

It is `streamlit run app.py` (every option of that command passes through, for example
`--server.address 0.0.0.0` or `--server.port 8502`) with one difference a class notices:
TensorFlow starts loading, in the background, the moment the server starts. With plain
`streamlit run app.py` that only begins when the first learner opens a page, and a learner who
presses Train at once waits for it (about 4 s on a 2-core laptop); a teacher starts the server
before class, so with this launcher the first press finds everything ready.
"""

from __future__ import annotations

import faulthandler
import signal
import sys
from pathlib import Path

from cnn_core import memory, warmup

APP = Path(__file__).resolve().with_name("app.py")


def main() -> None:
    memory.share_heaps()  # before Streamlit's threads: a class's threads then share two malloc arenas
    # Streamlit first: importing it imports plotly and pandas, and plotly looks pandas up in
    # sys.modules without importing it, so a warm-up importing pandas at that moment handed it a
    # half-made module ("partially initialized module 'pandas'") and the server did not start.
    from streamlit.web import cli

    # `kill -USR1 <pid>` writes every thread's stack to the server's output: what a page that
    # never finishes is waiting on, without stopping the class (Streamlit leaves SIGUSR1 alone).
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    # The same process serves the app, so app.py's own call to this finds it already started.
    warmup.start_in_background()
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
