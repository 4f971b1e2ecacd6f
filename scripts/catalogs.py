"""The translation catalogs, with Babel: extract the app's strings, merge them into each language, compile.

    python scripts/catalogs.py update     # after changing strings: messages.pot, then every messages.po
    python scripts/catalogs.py compile    # after translating: every messages.po -> messages.mo (committed)
    python scripts/catalogs.py init xx    # a new language (README, "Adding a language")

The app reads only the compiled `.mo` files (stdlib gettext), so Babel is needed by whoever
edits translations and by the tests, not by a classroom's server.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
TEMPLATE = LOCALES / "messages.pot"
# N_ marks a string shown later (translated where it is shown); Nn_ marks a plural pair.
KEYWORDS = ["-k", "N_", "-k", "Nn_:1,2"]


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(template: Path = TEMPLATE) -> None:
    """Every marked string of the code into the template (the tests extract into a scratch file)."""
    # No source locations: a moved line would otherwise change every catalog.
    pybabel("extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS, "--no-location", "--no-wrap",
            "--project", "cnn-classroom", "-o", str(template), str(ROOT))


def update() -> None:
    extract()
    # No fuzzy guesses (a near-miss translation shown as if right) and no obsolete entries kept.
    pybabel("update", "-i", str(TEMPLATE), "-d", str(LOCALES), "--no-fuzzy-matching", "--ignore-obsolete",
            "--no-wrap")


def compile_all() -> None:
    pybabel("compile", "-d", str(LOCALES))


def init(lang: str) -> None:
    pybabel("init", "-i", str(TEMPLATE), "-d", str(LOCALES), "-l", lang, "--no-wrap")


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["help"]
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "init" and len(rest) == 1:
        init(rest[0])
    else:
        print(__doc__)
        sys.exit(2)
