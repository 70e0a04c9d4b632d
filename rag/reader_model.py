"""The reader's network: multilingual-e5-small read as a cross-encoder, with LoRA adapters.

The question and a passage go through the encoder together ("<s> question </s></s> passage
</s>"), so every word of one attends to every word of the other; the mean of the last hidden
states goes through a linear head to one logit: does this passage answer this question?

Only the adapters (low-rank updates of the attention and feed-forward weights) and the head
are trained, so the trained part is a file of about a megabyte beside the base model that
``referat model install`` builds. For inference the adapters are merged into the weights:
the merged model costs exactly what the plain encoder costs.

torch and transformers are imported here at module level: import this module lazily.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import torch
from torch import nn

#: The Linear layers of each BERT layer that get adapters.
TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


class LoRALinear(nn.Module):
    """``base(x) + scale * B(A(x))`` with ``base`` frozen; B starts at zero, so training
    starts from the base model exactly."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        for parameter in self.base.parameters():
            parameter.requires_grad = False
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.scale = alpha / rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        delta = (x @ self.lora_a.t().to(x.dtype)) @ self.lora_b.t().to(x.dtype)
        out: torch.Tensor = self.base(x) + self.scale * delta
        return out

    def merged(self) -> nn.Linear:
        with torch.no_grad():
            update = (self.lora_b.float() @ self.lora_a.float()) * self.scale
            self.base.weight += update.to(self.base.weight.dtype)
        return self.base


def _target_modules(
    encoder: nn.Module, first_layer: int = 0
) -> list[tuple[nn.Module, str, nn.Linear | LoRALinear]]:
    """(parent, attribute, linear) for every adapted Linear of the encoder's layers from
    ``first_layer`` on."""
    found = []
    for name, module in encoder.named_modules():
        parts = name.split(".")
        if not isinstance(module, nn.Linear | LoRALinear) or parts[:2] != ["encoder", "layer"]:
            continue
        if int(parts[2]) < first_layer or not any(name.endswith(t) for t in TARGETS):
            continue
        # "output.dense" also ends "attention.output.dense": both are targets, each once.
        parent_name, _, attribute = name.rpartition(".")
        parent = encoder.get_submodule(parent_name)
        found.append((parent, attribute, module))
    return found


def _keep_bottom_layers(encoder: nn.Module, layers: int) -> None:
    """Drop the encoder's top layers, keeping the bottom ``layers``: the reader's time is
    nearly proportional to its depth, and the bottom layers of a pretrained encoder carry
    more of what a fine-tuned head needs than the top ones."""
    stack = getattr(encoder, "encoder").layer  # noqa: B009 (a Module attribute)
    if not 0 < layers <= len(stack):
        raise ValueError(f"the base model has {len(stack)} layers; cannot keep {layers}")
    getattr(encoder, "encoder").layer = nn.ModuleList(list(stack)[:layers])  # noqa: B009
    getattr(encoder, "config").num_hidden_layers = layers  # noqa: B009


class CrossEncoder(nn.Module):
    """The encoder with adapters in its top layers (from ``first_layer``) and a head.

    Adapters in the top four of twelve layers train at 2.3 times the speed of adapters in all
    of them (backpropagation stops there): 0.43 s against 0.98 s for 16 pairs of 160 tokens
    on this project's 2-core machine."""

    def __init__(
        self,
        encoder: nn.Module,
        rank: int = 8,
        alpha: float = 16.0,
        first_layer: int = 8,
        layers: int | None = None,
    ) -> None:
        super().__init__()
        if layers is not None:
            _keep_bottom_layers(encoder, layers)
        self.encoder = encoder
        for parameter in self.encoder.parameters():
            parameter.requires_grad = False
        for parent, attribute, linear in _target_modules(encoder, first_layer):
            if isinstance(linear, nn.Linear):
                setattr(parent, attribute, LoRALinear(linear, rank, alpha))
        hidden = int(getattr(encoder, "config").hidden_size)  # noqa: B009 (a Module attribute)
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(hidden, 1)
        self.rank, self.alpha, self.first_layer = rank, alpha, first_layer
        self.layers = len(getattr(encoder, "encoder").layer)  # noqa: B009 (a Module attribute)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        logits: torch.Tensor = self.head(self.dropout(pooled)).squeeze(-1)
        return logits

    def trained_state(self) -> dict[str, torch.Tensor]:
        """Only what training changed: the adapters and the head."""
        return {
            name: tensor.detach().float().contiguous()
            for name, tensor in self.state_dict().items()
            if "lora_" in name or name.startswith("head.")
        }

    def merge(self) -> None:
        """Fold every adapter into its Linear layer (for inference; cannot be undone)."""
        for parent, attribute, module in _target_modules(self.encoder):
            if isinstance(module, LoRALinear):
                setattr(parent, attribute, module.merged())


def base_encoder(base_path: Path, dtype: Any = None) -> nn.Module:
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    options = {"dtype": dtype} if dtype is not None else {}
    model: nn.Module = AutoModel.from_pretrained(str(base_path), local_files_only=True, **options)
    return model


def tokenizer_for(base_path: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base_path), local_files_only=True)


def save_trained(model: CrossEncoder, folder: Path, card: dict[str, Any]) -> None:
    """``reader.safetensors`` (adapters and head) and ``reader.json`` (how it was made)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(model.trained_state(), str(folder / "reader.safetensors"))
    card = {
        **card,
        "rank": model.rank,
        "alpha": model.alpha,
        "first_layer": model.first_layer,
        "layers": model.layers,
        "targets": list(TARGETS),
    }
    (folder / "reader.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")


def load_trained(base_path: Path, folder: Path, dtype: Any = None) -> CrossEncoder:
    """The base encoder with the trained adapters and head of ``folder``, merged, in eval mode."""
    from safetensors.torch import load_file

    card = json.loads((folder / "reader.json").read_text())
    layers = card.get("layers")  # readers before depth was a choice kept all twelve
    model = CrossEncoder(
        base_encoder(base_path),
        int(card["rank"]),
        float(card["alpha"]),
        int(card["first_layer"]),
        int(layers) if layers is not None else None,
    )
    state = load_file(str(folder / "reader.safetensors"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    trained = set(model.trained_state())
    if unexpected or trained & set(missing):
        raise ValueError(
            f"{folder / 'reader.safetensors'} does not fit the base model "
            f"(missing {sorted(trained & set(missing))[:3]}, unexpected {unexpected[:3]})"
        )
    model.merge()
    if dtype is not None:
        model.to(dtype)
    model.eval()
    return model
