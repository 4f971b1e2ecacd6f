"""Test setup: the repo on sys.path, the full datasets from ../shared when present, quiet TF."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CNN_CACHE_DIR", str(ROOT / ".cache"))
os.environ.setdefault("CNN_WARM_UP", "0")  # AppTest runs of app.py need no background warm-up (the browser's server has it)
if SHARED.is_dir():
    os.environ.setdefault("CNN_DATASETS_DIR", str(SHARED))
