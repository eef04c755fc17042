import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def thesis_gan_cmd():
    """The installed console script (falls back to `python -m thesis_gan.cli`)."""
    script = BIN / "thesis-gan"
    return [str(script)] if script.exists() else [sys.executable, "-c", "import sys; from thesis_gan.cli import main; sys.exit(main())"]
