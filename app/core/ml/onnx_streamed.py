"""Export a torch module to ONNX with its weights streamed to the file, not built up in memory (issue 16).

Why: the TorchScript exporter builds the whole model as a C++ ModelProto with a copy of every weight, serialises
it to a second copy and hands Python a third (transiently): ViT-B-32's image tower export took 880 MB on top of
the model, the `models import` peak. Here the graph is exported without weights (`export_params=False`, a few
hundred KB), the exporter's final weights (after its constant folding) are taken from `_model_to_graph`, and the
file is written as that graph followed by one `graph { initializer { ... } }` record per weight, written from the
tensor's own memory. Protobuf merges repeated occurrences of a message field, so the result is one ordinary ONNX
file, the same model as a plain export.

The two exporter functions hooked are private; on a torch without them the plain export runs instead.

ONNX field numbers used (onnx.proto): ModelProto.graph = 7; GraphProto.initializer = 5, input = 11;
ValueInfoProto.name = 1; TensorProto.dims = 1, data_type = 2, name = 8, raw_data = 9.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.core.ml.onnx_wire import _LEN, _message, _string, _varint, fields

# torch dtype name -> TensorProto.DataType
_ONNX_TYPES = {"float32": 1, "uint8": 2, "int8": 3, "int16": 5, "int32": 6, "int64": 7, "bool": 9, "float16": 10,
               "float64": 11, "bfloat16": 16}


def export(torch, module, args: tuple, path: Path, **kwargs) -> None:
    """torch.onnx.export(module, args, path, **kwargs) (TorchScript exporter), weights streamed to the file."""
    hooks = _exporter_hooks()
    if hooks is None or sys.byteorder != "little":  # raw_data is little-endian
        torch.onnx.export(module, args, str(path), **kwargs)
        return
    utils, proto_utils = hooks
    captured: dict = {}
    real_to_graph, real_write = utils._model_to_graph, proto_utils._export_file

    def to_graph(*a, **k):
        result = real_to_graph(*a, **k)
        captured["params"] = result[1]
        return result

    def write(proto, f, export_map):
        captured["graph"] = proto

    utils._model_to_graph, proto_utils._export_file = to_graph, write
    try:
        torch.onnx.export(module, args, str(path), export_params=False, **kwargs)
    finally:
        utils._model_to_graph, proto_utils._export_file = real_to_graph, real_write
    _write(path, captured["graph"], captured["params"])


def _exporter_hooks():
    try:
        from torch.onnx._internal.torchscript_exporter import onnx_proto_utils, utils
    except ImportError:
        return None
    if not hasattr(utils, "_model_to_graph") or not hasattr(onnx_proto_utils, "_export_file"):
        return None
    return utils, onnx_proto_utils


def _write(path: Path, model: bytes, params: dict) -> None:
    """The weightless model with the weights' graph inputs dropped, then the weights as initializers."""
    names = {name.encode(): name for name in params}
    weights: list[str] = []
    with open(path, "wb") as out:
        for number, _wire, value, raw in fields(memoryview(model)):
            if number != 7:
                out.write(raw)
                continue
            kept = bytearray()
            for g_number, _w, value, g_raw in fields(value):
                name = _string(value, 1) if g_number == 11 else None
                if name in names:  # a weight the exporter listed as an input, since it had no value for it
                    weights.append(names[name])
                else:
                    kept += g_raw
            out.write(_message(7, bytes(kept)))
        for name in weights:
            _write_initializer(out, name, params[name])


def _write_initializer(out, name: str, tensor) -> None:
    import torch

    tensor = tensor.detach().cpu().contiguous()
    kind = str(tensor.dtype).removeprefix("torch.")
    if kind not in _ONNX_TYPES:
        raise ValueError(f"cannot write a {tensor.dtype} weight ({name}) to ONNX")
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.view(torch.int16)
    data = tensor.numpy().reshape(-1).view("uint8")
    head = b"".join(b"\x08" + _varint(d) for d in tensor.shape)  # dims
    head += b"\x10" + _varint(_ONNX_TYPES[kind]) + _message(8, name.encode())  # data_type, name
    head += bytes([9 << 3 | _LEN]) + _varint(data.nbytes)  # raw_data follows
    tensor_size = len(head) + data.nbytes
    initializer = bytes([5 << 3 | _LEN]) + _varint(tensor_size)
    out.write(bytes([7 << 3 | _LEN]) + _varint(len(initializer) + tensor_size) + initializer + head)
    out.write(data)
