"""onnx_streamed writes the same ONNX model as torch's exporter, without the exporter's in-memory copies."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.ml

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")


class _Mixed(torch.nn.Module):
    """Weights of several dtypes and shapes (a matrix, a folded transpose, a scalar, int64 and fp16 buffers)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear(6, 5)
        self.scale = torch.nn.Parameter(torch.tensor(1.5))
        self.register_buffer("index", torch.tensor([4, 0, 2], dtype=torch.int64))
        self.register_buffer("offset", torch.randn(3, dtype=torch.float16))

    def forward(self, x):
        y = self.linear(x) * self.scale
        return y.index_select(-1, self.index) + self.offset.float()


def _export(path, export):
    kwargs = dict(input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                  opset_version=17, dynamo=False)
    with torch.no_grad():
        export(_Mixed().eval(), (torch.zeros(2, 4, 6),), path, **kwargs)
    return onnx.load(str(path))


def test_streamed_export_is_the_plain_export(tmp_path):
    from app.core.ml import onnx_streamed

    plain = _export(tmp_path / "plain.onnx", lambda m, a, p, **k: torch.onnx.export(m, a, str(p), **k))
    streamed = _export(tmp_path / "streamed.onnx", lambda m, a, p, **k: onnx_streamed.export(torch, m, a, p, **k))
    onnx.checker.check_model(streamed)
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in plain.graph.initializer}
    ours = {t.name: onnx.numpy_helper.to_array(t) for t in streamed.graph.initializer}
    assert weights and ours.keys() == weights.keys()
    for name, value in weights.items():
        assert ours[name].dtype == value.dtype and np.array_equal(ours[name], value), name
    assert [n.SerializeToString() for n in streamed.graph.node] == [n.SerializeToString() for n in plain.graph.node]
    assert [i.name for i in streamed.graph.input] == ["x"] and streamed.graph.output == plain.graph.output


def test_the_exporter_never_holds_the_weights(tmp_path, monkeypatch):
    """The graph comes from torch without weights (so its C++ model, serialised bytes and Python copy are small);
    the weights are written from the tensors themselves."""
    from app.core.ml import onnx_streamed

    seen = []
    real = torch.onnx.export

    def spy(*args, **kwargs):
        seen.append(kwargs.get("export_params", True))
        return real(*args, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", spy)
    _export(tmp_path / "streamed.onnx", lambda m, a, p, **k: onnx_streamed.export(torch, m, a, p, **k))
    assert seen == [False]
