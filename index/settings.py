"""Settings, read from the environment here and nowhere else.

Command-line options override these; library code receives a ``Settings`` value and never
looks at ``os.environ`` itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_EMBED_MODEL = "multilingual-e5-small"
PRECISIONS = ("auto", "fp32", "bf16")


class SettingsError(ValueError):
    """A setting has a value referat cannot use; the message names it and the choices."""


def default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "referat"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_dir: Path
    embed_model: str = DEFAULT_EMBED_MODEL
    #: "auto" (bf16 where the CPU computes it natively, else fp32), "fp32" or "bf16".
    embed_precision: str = "auto"
    chroma_url: str | None = None
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    auth: str | None = None  # "user:password"
    #: The reader that ranks, chooses quotes and refuses (rag.reader): "model" (the trained
    #: one shipped with referat), "off" (the answer rules alone), "overlap" (model-free) or
    #: the folder of another trained reader. None: "model", or "off" beside the hash embedder
    #: (rag.reader.default_reader).
    reader: str | None = None

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given non-None values replaced (for command-line options)."""
        given = {k: v for k, v in changes.items() if v is not None}
        if "db_dir" in given:
            given["db_dir"] = Path(str(given["db_dir"]))
        return replace(self, **given)  # type: ignore[arg-type]


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    data_dir = (
        Path(env["REFERAT_DATA_DIR"]) if env.get("REFERAT_DATA_DIR") else default_data_dir(env)
    )
    db_dir = Path(env["REFERAT_DB"]) if env.get("REFERAT_DB") else data_dir / "db"
    precision = env.get("REFERAT_EMBED_PRECISION") or "auto"
    if precision not in PRECISIONS:
        raise SettingsError(
            f"REFERAT_EMBED_PRECISION={precision!r} is not one of {', '.join(PRECISIONS)}"
        )
    return Settings(
        data_dir=data_dir,
        db_dir=db_dir,
        embed_model=env.get("REFERAT_EMBED_MODEL") or DEFAULT_EMBED_MODEL,
        embed_precision=precision,
        chroma_url=env.get("REFERAT_CHROMA_URL") or None,
        llm_url=env.get("REFERAT_LLM_URL") or None,
        llm_model=env.get("REFERAT_LLM_MODEL") or None,
        llm_api_key=env.get("REFERAT_LLM_API_KEY") or None,
        auth=env.get("REFERAT_AUTH") or None,
        reader=env.get("REFERAT_READER") or None,
    )
