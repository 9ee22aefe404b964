"""On-device models: a registry of installed models and one module per backend (torch, onnxruntime).

Nothing here imports torch at module level; the torch backend is loaded only when a torch runtime is asked for.
"""
