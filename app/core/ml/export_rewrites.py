"""Export-time rewrites of an open_clip image tower into ops that onnxruntime runs fast on CPU.

Measured on ViT-B-32 (docs/SEARCH.md): the traced `nn.MultiheadAttention` becomes ~100 Shape/Gather/Transpose
nodes that cost more than the attention itself, and the patch embedding `Conv` becomes a `ConvInteger` after
int8 quantisation that has no fast kernel. So, while exporting only:

- self-attention is emitted as onnxruntime's fused `com.microsoft::Attention` (packed QKV weights; int8
  quantisation turns it into `QAttention`);
- the patch embedding (a convolution whose stride equals its kernel) is emitted as patchify + `MatMul`, which
  quantises like every other linear layer.

The math is unchanged (same weights, same results in torch to float rounding). Modules that do not fit (masks,
cross-attention, other convolutions) are left alone, so any architecture still exports. Imports torch: call it
only from the export path.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F

ORT_DOMAIN = "com.microsoft"


class _OrtAttention(torch.autograd.Function):
    """Multi-head self-attention before the output projection; exports as onnxruntime's Attention op."""

    @staticmethod
    def forward(ctx, x, weight, bias, num_heads: int):
        b, s, c = x.shape
        qkv = (x @ weight + bias).reshape(b, s, 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        return out.transpose(1, 2).reshape(b, s, c)

    @staticmethod
    def symbolic(g, x, weight, bias, num_heads):
        out = g.op(f"{ORT_DOMAIN}::Attention", x, weight, bias, num_heads_i=num_heads)
        out.setType(x.type())  # same shape and dtype as the input: lets the exporter infer what follows
        return out


class FusedSelfAttention(torch.nn.Module):
    """Stands in for an `nn.MultiheadAttention` (batch first, packed projections) during export."""

    def __init__(self, mha: torch.nn.MultiheadAttention):
        super().__init__()
        self.mha = mha
        self.register_buffer("weight", mha.in_proj_weight.detach().t().contiguous())
        self.register_buffer("bias", mha.in_proj_bias.detach().clone())

    def forward(self, query, key=None, value=None, need_weights=False, attn_mask=None, **kwargs):
        plain_self_attention = (key is None or key is query) and (value is None or value is query)
        if attn_mask is not None or need_weights or kwargs.get("key_padding_mask") is not None \
                or not plain_self_attention:
            return self.mha(query, key, value, need_weights=need_weights, attn_mask=attn_mask, **kwargs)
        y = _OrtAttention.apply(query, self.weight, self.bias, self.mha.num_heads)
        return self.mha.out_proj(y), None


class PatchMatMul(torch.nn.Module):
    """A stride == kernel convolution without bias as patchify + MatMul (quantisable like a linear layer)."""

    def __init__(self, conv: torch.nn.Conv2d):
        super().__init__()
        self.patch = conv.kernel_size
        self.register_buffer("weight", conv.weight.detach().reshape(conv.out_channels, -1).t().contiguous())

    def forward(self, x):
        b, c, h, w = x.shape
        (ph, pw), (gh, gw) = self.patch, (h // self.patch[0], w // self.patch[1])
        patches = x.reshape(b, c, gh, ph, gw, pw).permute(0, 2, 4, 1, 3, 5).reshape(b, gh * gw, c * ph * pw)
        return (patches @ self.weight).transpose(1, 2).reshape(b, -1, gh, gw)


def _fits_attention(module) -> bool:
    return (isinstance(module, torch.nn.MultiheadAttention) and module.batch_first
            and module._qkv_same_embed_dim and module.in_proj_bias is not None)


def _fits_patch_matmul(conv, image_size) -> bool:
    if not isinstance(conv, torch.nn.Conv2d) or conv.bias is not None or conv.groups != 1:
        return False
    if conv.kernel_size != conv.stride or conv.padding != (0, 0) or conv.dilation != (1, 1):
        return False
    size = image_size if isinstance(image_size, (tuple, list)) else (image_size, image_size)
    return all(isinstance(s, int) and s % k == 0 for s, k in zip(size, conv.kernel_size))


@contextmanager
def fast_image_tower(visual):
    """Swap the fitting modules of `visual` (open_clip's image tower) for the export forms, restore afterwards.

    Yields a dict counting what was swapped ({"attention": n, "patch_matmul": 0|1}).
    """
    swapped: list[tuple[torch.nn.Module, str, torch.nn.Module]] = []
    counts = {"attention": 0, "patch_matmul": 0}
    for parent in list(visual.modules()):
        for name, child in list(parent.named_children()):
            if _fits_attention(child):
                swapped.append((parent, name, child))
                setattr(parent, name, FusedSelfAttention(child))
                counts["attention"] += 1
    conv = getattr(visual, "conv1", None)
    if _fits_patch_matmul(conv, getattr(visual, "image_size", None)):
        swapped.append((visual, "conv1", conv))
        visual.conv1 = PatchMatMul(conv)
        counts["patch_matmul"] = 1
    try:
        yield counts
    finally:
        for parent, name, original in reversed(swapped):
            setattr(parent, name, original)
