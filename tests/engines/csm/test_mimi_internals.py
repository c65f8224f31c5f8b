"""transformers' internal Mimi classes, as engines/csm/mimi_stream.py walks them.

The streaming decoder reuses the modules of transformers' Mimi decoder one by one, so it
depends on names transformers does not promise to keep. pyproject.toml bounds transformers
to the tested releases; this fails loudly, naming what moved, when a release changes them:
adapt mimi_stream.py, then raise the bound.
"""

from __future__ import annotations

import inspect

import transformers
from torch import nn
from transformers import MimiModel
from transformers.cache_utils import DynamicCache
from transformers.models.mimi import modeling_mimi

from wyoming_polytts.testing.csm_tiny import tiny_codec_config

ATTRIBUTES = {
    "MimiConv1d": ("conv", "causal", "pad_mode", "padding_total"),
    "MimiConvTranspose1d": ("conv", "padding_left", "padding_right"),
    "MimiResnetBlock": ("shortcut", "block"),
}
"""What mimi_stream.py reads of each module it carries state for."""


def missing_internals() -> list[str]:
    missing = [f"modeling_mimi.{name}" for name in ATTRIBUTES if not hasattr(modeling_mimi, name)]
    if missing:
        return missing
    codec = MimiModel(tiny_codec_config())
    decoder = codec.decoder
    if hasattr(decoder, "decoder_seanet"):
        parts = {name: getattr(decoder, name, None) for name in ("upsample", "decoder_transformer")}
        seanet = decoder.decoder_seanet
    else:
        parts = {name: getattr(codec, name, None) for name in ("upsample", "decoder_transformer")}
        seanet = decoder
    missing += [f"the decoder's {name}" for name, part in parts.items() if part is None]
    if not hasattr(seanet, "layers"):
        missing.append("the SEANet decoder's layers")
    if not callable(getattr(codec.quantizer, "decode", None)):
        missing.append("quantizer.decode")
    for module in [*seanet.modules(), parts["upsample"]]:
        for name, attributes in ATTRIBUTES.items():
            if isinstance(module, getattr(modeling_mimi, name)):
                missing += [f"{name}.{a}" for a in attributes if not hasattr(module, a)]
                if "conv" in attributes and not isinstance(module.conv, nn.Module):
                    missing.append(f"{name}.conv as a torch module")
    transformer = parts["decoder_transformer"]
    if transformer is not None:
        accepted = inspect.signature(transformer.forward).parameters
        # A renamed argument may still be taken through **kwargs (with a deprecation warning)
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
        missing += [
            f"decoder_transformer.forward({argument}=)"
            for argument in ("past_key_values", "position_ids", "use_cache")
            if argument not in accepted and not takes_any
        ]
    if "config" not in inspect.signature(DynamicCache).parameters:
        missing.append("DynamicCache(config=)")
    return sorted(set(missing))


def test_the_mimi_internals_the_streaming_decoder_walks_are_there() -> None:
    missing = missing_internals()
    assert not missing, (
        f"transformers {transformers.__version__} changed the Mimi internals that "
        f"engines/csm/mimi_stream.py walks ({', '.join(missing)}): adapt it, then the bound "
        "in pyproject.toml"
    )
