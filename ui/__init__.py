"""Small Streamlit helpers shared by the pages (widget groups and per-session state).

Model logic lives in cnn_core; this package only holds what every page draws the same way.
"""

# Any page that draws through ui reads its session's language (cnn_core.i18n asks ui.language),
# also a page run on its own (AppTest of one page file), not only through app.py.
from ui import language as _language  # noqa: E402,F401
