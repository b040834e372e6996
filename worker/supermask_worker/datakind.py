"""Which data a net trains on, checked before anything is loaded: torchvision's ImageNet nets on an ImageFolder tree
(DATA/<dataset>/train and DATA/<dataset>/val), the CIFAR nets on CIFAR-10. Only paths are looked at, so `serve` can
refuse a start at once, without torch, and `train` says the same before it reads a file."""

from pathlib import Path, PurePath
from typing import Optional

from .config import TORCHVISION_MODELS, is_worker_only


def is_image_folder(root: Path) -> bool:
    return (Path(root) / "train").is_dir() and (Path(root) / "val").is_dir()


def data_problem(data_root: Path, model: str, dataset: str) -> Optional[str]:
    """Why `model` cannot train on DATA/<dataset> (its kind of data is not there); None when it can. A dataset
    outside DATA is refused before anything is looked at, so the answer never tells what exists elsewhere."""
    parts = PurePath(dataset).parts
    if not parts or PurePath(dataset).is_absolute() or ".." in parts:
        return "must name a folder inside the data root (--data-root): a relative path without '..'"
    folder = Path(data_root) / dataset
    if is_worker_only(model) and not is_image_folder(folder):
        return f"{model} trains on an ImageFolder tree: {folder}/train and {folder}/val are missing"
    if not is_worker_only(model) and is_image_folder(folder):
        nets = ", ".join(TORCHVISION_MODELS)
        return f"{folder} is an ImageFolder tree: {model} trains on CIFAR-10; {nets} train on it"
    return None
