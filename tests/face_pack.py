"""A tiny insightface-style model pack for tests: randomly initialised ONNX models in buffalo_l's layout.

No real buffalo_l weights can be had offline (MODELS.md), so the tests build a pack insightface itself
recognises: `det_10g.onnx`, an SCRFD-shaped detector (one image input with symbolic height/width, nine rank-2
outputs: scores, box distances and 5-point landmark distances for strides 8/16/32, two anchors each), and
`w600k_r50.onnx`, an ArcFace-shaped recogniser ([N, 3, 112, 112] -> [N, 512]). Weights are random; the only
design is in the biases of the detector's stride-32 score head, so that a mostly white 32 x 32 cell (in the
detector's 640 x 640 input) scores high and everything else scores low: tests place "faces" where they want
them, and the boxes of the real SCRFD post-processing land there. Identities mean nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

DET_FILE = "det_10g.onnx"
REC_FILE = "w600k_r50.onnx"
STRIDES = (8, 16, 32)
ANCHORS = 2


def _const(name: str, array: np.ndarray):
    from onnx import numpy_helper

    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def _head(nodes, inits, stride: int, width: int, out_name: str, weight, bias, sigmoid: bool = False) -> None:
    """Conv (kernel = stride = `stride`) -> [1, A*width, h, w] -> [h*w*A, width] (SCRFD's output order)."""
    from onnx import helper

    from onnx import numpy_helper

    tag = f"{out_name}_s{stride}"
    inits += [_const(f"{tag}_w", weight), _const(f"{tag}_b", bias),
              numpy_helper.from_array(np.array([-1, width], dtype=np.int64), f"{tag}_shape")]
    nodes.append(helper.make_node("Conv", ["input.1", f"{tag}_w", f"{tag}_b"], [f"{tag}_conv"],
                                  kernel_shape=[stride, stride], strides=[stride, stride], name=f"Conv_{tag}"))
    nodes.append(helper.make_node("Transpose", [f"{tag}_conv"], [f"{tag}_t"], perm=[0, 2, 3, 1], name=f"T_{tag}"))
    last = f"{tag}_t"
    if sigmoid:
        nodes.append(helper.make_node("Sigmoid", [last], [f"{tag}_sig"], name=f"Sig_{tag}"))
        last = f"{tag}_sig"
    nodes.append(helper.make_node("Reshape", [last, f"{tag}_shape"], [f"{out_name}_{stride}"], name=f"R_{tag}"))


def build_detector(path: Path, *, seed: int = 0, box_half: float = 1.5) -> Path:
    """An SCRFD-shaped detector. At stride 32 a cell's score is sigmoid(k * (mean - 0.8)) over the
    normalised input ((x - 127.5) / 128, white ~ 1), so only a mostly white cell fires; strides 8 and 16 never
    fire. Each box is `box_half` strides either side of its anchor centre (SCRFD's anchors sit at cell * stride)."""
    import onnx
    from onnx import TensorProto, helper

    rng = np.random.default_rng(seed)
    nodes, inits, outputs = [], [], []
    for kind, width in (("score", 1), ("bbox", 4), ("kps", 10)):
        for stride in STRIDES:
            channels = ANCHORS * width
            weight = 1e-4 * rng.standard_normal((channels, 3, stride, stride))
            if kind == "score":
                k = 12.0
                if stride == 32:
                    weight += k / (3 * stride * stride)  # k * mean over the cell and the 3 channels
                    bias = np.full(channels, -k * 0.8)
                else:
                    bias = np.full(channels, -50.0)
            elif kind == "bbox":
                bias = np.full(channels, box_half)
            else:  # landmarks: eyes, nose, mouth corners, in strides from the anchor
                points = np.array([[-0.5, -0.4], [0.5, -0.4], [0.0, 0.1], [-0.4, 0.6], [0.4, 0.6]]) * box_half
                bias = np.tile(points.reshape(-1), ANCHORS)
            _head(nodes, inits, stride, width, kind, weight, bias, sigmoid=kind == "score")
            outputs.append(helper.make_tensor_value_info(f"{kind}_{stride}", TensorProto.FLOAT, [None, width]))
    graph = helper.make_graph(
        nodes, "tiny_scrfd",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "height", "width"])],
        outputs, inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def build_recognizer(path: Path, *, seed: int = 0, dim: int = 512) -> Path:
    """An ArcFace-shaped recogniser: Conv(3->8, 8x8, stride 8) -> Flatten -> Gemm(1568 -> dim)."""
    import onnx
    from onnx import TensorProto, helper

    rng = np.random.default_rng(seed + 1000)
    inits = [
        _const("conv_w", 0.05 * rng.standard_normal((8, 3, 8, 8))), _const("conv_b", np.zeros(8)),
        _const("fc_w", 0.05 * rng.standard_normal((8 * 14 * 14, dim))), _const("fc_b", np.zeros(dim)),
    ]
    nodes = [
        helper.make_node("Conv", ["input.1", "conv_w", "conv_b"], ["c"], kernel_shape=[8, 8], strides=[8, 8],
                         name="Conv_0"),
        helper.make_node("Relu", ["c"], ["r"], name="Relu_1"),
        helper.make_node("Flatten", ["r"], ["f"], axis=1, name="Flatten_2"),
        helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["683"], name="Gemm_3"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_arcface",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [None, 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, [None, dim])], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def build_pack(folder: Path, *, seed: int = 0, box_half: float = 1.5) -> Path:
    """A folder laid out like insightface's buffalo_l (detector + recogniser ONNX files)."""
    folder.mkdir(parents=True, exist_ok=True)
    build_detector(folder / DET_FILE, seed=seed, box_half=box_half)
    build_recognizer(folder / REC_FILE, seed=seed)
    return folder


def squares_photo(path: Path, cells: list[tuple[int, int]], *, size: int = 640, seed: int = 0) -> Path:
    """A dark photo (size x size, a multiple of 640) with a mostly white, textured square filling each given
    32 px cell of the detector's 640 x 640 input: where the tiny detector finds its "faces"."""
    rng = np.random.default_rng(seed)
    scale = size // 640
    pixels = (rng.random((size, size, 3)) * 40).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for col, row in cells:
        x, y = col * 32 * scale, row * 32 * scale
        draw.rectangle([x, y, x + 32 * scale - 1, y + 32 * scale - 1], fill=(250, 250, 250))
        texture = (200 + rng.random((8 * scale, 8 * scale, 3)) * 55).astype(np.uint8)
        image.paste(Image.fromarray(texture), (x + 12 * scale, y + 12 * scale))
    image.save(path, "JPEG", quality=95)
    return path
