"""BLIP captioning through transformers (the `ml` extra; torch and transformers are imported here only).

A caption model is a folder saved with `save_pretrained` (BlipForConditionalGeneration + BlipProcessor), e.g.
`Salesforce/blip-image-captioning-base` downloaded once, or a tiny random one in the tests: both load through
`from_pretrained(folder)`. CUDA or Apple MPS when present; images are captioned in batches, greedily.
"""

from __future__ import annotations

from pathlib import Path

from app.core.ml.errors import ModelError

MAX_NEW_TOKENS = 30


class BlipCaptioner:
    def __init__(self, model_id: str, folder: "str | Path"):
        try:
            import torch
            from transformers import BlipForConditionalGeneration, BlipProcessor
        except ImportError as exc:
            raise ModelError("captions need the `ml` extra (torch and transformers): pip install shoebox[ml]") from exc
        self.model_id = model_id
        if torch.cuda.is_available():
            self.device = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            self.device = "mps"
        else:
            self.device = "cpu"
        try:
            self._processor = BlipProcessor.from_pretrained(str(folder))
            self._model = BlipForConditionalGeneration.from_pretrained(str(folder)).to(self.device).eval()
        except Exception as exc:  # a damaged or foreign folder
            raise ModelError(f"cannot load caption model {model_id} from {folder}: {exc}") from exc

    def caption(self, images: list) -> list[str]:
        """One caption per PIL image."""
        import torch

        if not images:
            return []
        inputs = self._processor(images=images, return_tensors="pt").to(self.device)
        with torch.inference_mode():
            out = self._model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, num_beams=1, do_sample=False)
        return [t.strip() for t in self._processor.batch_decode(out, skip_special_tokens=True)]


# A BLIP repository's processor and config files, and its weights as safetensors (repos also hold the same weights
# as pytorch_model.bin and tf_model.h5: taking one copy saves a gigabyte).
CONFIG_PATTERNS = ["*.json", "*.txt"]
WEIGHT_PATTERNS = (["*.safetensors"], ["pytorch_model.bin"])


def download_blip(repo: str, folder: "str | Path") -> None:
    """Fetch a BLIP model from the Hugging Face hub into `folder` (save_pretrained layout), one copy of the
    weights, with the hub client's progress bars. Only `shoebox models install caption:...` calls this."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise ModelError("downloading a caption model needs huggingface_hub (pip install shoebox[ml])") from exc
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for weights in WEIGHT_PATTERNS:
            snapshot_download(repo, local_dir=str(folder), allow_patterns=CONFIG_PATTERNS + weights)
            if any(folder.glob(weights[0])):
                break
        else:
            raise ModelError(f"{repo} has no model weights Shoebox can read (model.safetensors or pytorch_model.bin)")
    except ModelError:
        raise
    except Exception as exc:  # the hub client's own errors: not found, gated, connection lost
        raise ModelError(f"cannot download {repo}: {exc}") from exc
    import shutil

    shutil.rmtree(folder / ".cache", ignore_errors=True)  # the hub client's bookkeeping, not part of the model
