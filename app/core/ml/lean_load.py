"""Load an open_clip checkpoint without holding a random model and the checkpoint's weights at once (issue 16).

open_clip builds the model with random weights, loads the checkpoint and copies it in: two copies of the weights
(ViT-B-32: 1.9 GB peak with torch's 0.75 GB). While `lean_loading()` is active, open_clip's `load_checkpoint`
first frees the random weights (the model's parameters go to the `meta` device) and then loads the checkpoint
with `assign=True`, so the loaded tensors become the model's own: one copy. Everything else open_clip does with
a checkpoint (format conversions, resizing, strict key checks) is unchanged. Imports torch and open_clip.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def lean_loading():
    from open_clip import factory

    real = factory.load_checkpoint

    def load_checkpoint(model, checkpoint_path, *args, **kwargs):
        if Path(str(checkpoint_path)).suffix in (".npz", ".npy"):  # big_vision weights are copied in: keep them
            return real(model, checkpoint_path, *args, **kwargs)
        kept = _free_weights(model)
        model.load_state_dict = functools.partial(type(model).load_state_dict, model, assign=True)
        try:
            return real(model, checkpoint_path, *args, **kwargs)
        finally:
            del model.load_state_dict
            _settle(model, *kept)

    factory.load_checkpoint = load_checkpoint
    try:
        yield
    finally:
        factory.load_checkpoint = real


def _free_weights(model):
    """Move the weights to `meta`; keep what a checkpoint does not hold (non-persistent buffers, made at init)."""
    state = model.state_dict()
    dtypes = {name: tensor.dtype for name, tensor in state.items()}
    device = next((t.device for t in state.values()), None)
    made_at_init = {name: b for name, b in model.named_buffers() if name not in state}
    del state
    model.to("meta")
    return dtypes, device, made_at_init


def _settle(model, dtypes, device, made_at_init) -> None:
    """Back to the model's own dtypes and device (the copy that `assign=True` skipped); refuse half a model."""
    for name, buffer in made_at_init.items():
        owner, _, leaf = name.rpartition(".")
        model.get_submodule(owner)._buffers[leaf] = buffer
    missing = []
    for name, tensor in model.state_dict(keep_vars=True).items():
        if tensor.is_meta:
            missing.append(name)
        elif name in dtypes and tensor.dtype != dtypes[name]:
            tensor.data = tensor.data.to(dtypes[name])
    if missing:
        raise RuntimeError(f"the checkpoint left {len(missing)} weights unset (e.g. {missing[0]})")
    if device is not None and device.type != "meta":
        model.to(device)
