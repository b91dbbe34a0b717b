"""VGG-19 feature maps for neural style transfer (Gatys, Ecker & Bethge 2015).

The network is torchvision's VGG-19 ``features`` stack (Simonyan & Zisserman
2014), cut after the deepest layer a request reads, frozen and in eval mode,
with ImageNet normalisation inside so callers pass RGB images in [0, 1].
Layers are named as in the papers (``relu4_2`` is the ReLU after the second
convolution of the fourth block); their indices follow torchvision's layout, so
a torchvision state dict loads into it unchanged.

Gatys et al. report that replacing max pooling by average pooling "improves the
gradient flow and one obtains slightly more appealing results": ``pooling=avg``
does that swap (the weights are the same, only the pooling operator changes).

Weights come from one of three places, and every output records which
(``FeatureNet.weights_identity``):

- ``torchvision``: ImageNet weights (``VGG19_Weights.IMAGENET1K_V1``) through
  torchvision's weights API, downloaded once into the torch hub cache and
  hash-checked; their ``features`` part is then kept beside that file as a
  checked safetensors copy that later runs load instead (80 of 548 MB);
- ``random``: seeded, deterministic He initialisation, for tests and
  benchmarks (the images it paints are not art, and their provenance says so);
- a path to a state dict, checked for the right keys and shapes.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from enum import Enum
from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor, nn

from artstyle.errors import StorageError, UsageError, WeightsError
from artstyle.files import atomic_write_bytes

log = logging.getLogger(__name__)

DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
DEFAULT_CONTENT_LAYERS = ("relu4_2",)
RANDOM_SEED = 0
RANDOM_WEIGHTS_NOTE = "random VGG-19 weights (--weights random): these paintings show noise, not style"  # said wherever they are used
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))  # VGG-19 "E": (channels, convolutions)


class Pooling(str, Enum):
    """Pooling between VGG blocks; Gatys et al. prefer ``avg``."""

    max = "max"
    avg = "avg"


def _layer_names() -> list[str]:
    """Names of torchvision's ``vgg19().features`` modules, index by index."""
    names = []
    for block, (_, convs) in enumerate(_BLOCKS, start=1):
        for conv in range(1, convs + 1):
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
        names.append(f"pool{block}")
    return names


LAYER_NAMES: tuple[str, ...] = tuple(_layer_names())
LAYER_INDEX = {name: index for index, name in enumerate(LAYER_NAMES)}


def check_layers(layers: Sequence[str]) -> tuple[str, ...]:
    """The layers as a tuple, or a UsageError naming the unknown ones."""
    unknown = [name for name in layers if name not in LAYER_INDEX]
    if unknown or not layers:
        relus = ", ".join(n for n in LAYER_NAMES if n.startswith("relu"))
        raise UsageError(
            f"unknown VGG-19 layer(s): {', '.join(unknown) or '(none given)'}", hint=f"choose from: {relus}"
        )
    return tuple(layers)


def _vgg19_features(pooling: Pooling) -> nn.Sequential:
    """An untrained VGG-19 ``features`` stack with torchvision's module indices."""
    modules: list[nn.Module] = []
    channels = 3
    for width, convs in _BLOCKS:
        for _ in range(convs):
            modules += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=False)]
            channels = width
        modules.append(nn.MaxPool2d(2, 2) if pooling is Pooling.max else nn.AvgPool2d(2, 2))
    return nn.Sequential(*modules)


def _expected_shapes() -> dict[str, torch.Size]:
    return {key: value.shape for key, value in _vgg19_features(Pooling.max).state_dict().items()}


def state_dict_hash(state: dict[str, Tensor]) -> str:
    """sha256 (first 16 hex digits) over the keys and float32 bytes of a state dict."""
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def random_state(seed: int = RANDOM_SEED) -> dict[str, Tensor]:
    """He-initialised conv weights (as torchvision initialises VGG), from a private generator."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in _expected_shapes().items():
        if key.endswith("bias"):
            state[key] = torch.zeros(shape)
        else:
            fan_out = shape[0] * shape[2] * shape[3]
            state[key] = torch.randn(shape, generator=generator) * (2.0 / fan_out) ** 0.5
    return state


_WEIGHTS_HINT = (
    "download vgg19-dcbb9e9d.pth from https://download.pytorch.org/models/ on a connected machine "
    "and pass it with --weights PATH (or ARTSTYLE_WEIGHTS=PATH); --weights random works offline for tests"
)


# torchvision's VGG19_Weights.IMAGENET1K_V1.url (tests keep the two equal): named here so that
# a run can find its features-only copy without importing torchvision (2 s here).
VGG19_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"


def _torchvision_state() -> tuple[dict[str, Tensor], str]:
    """ImageNet VGG-19 weights: the features-only copy when there is a sound one, else via torchvision.

    torchvision's file (548 MB, mostly the classifier) is downloaded once into the
    torch hub cache and hash-checked on download; its 80 MB ``features`` part is then
    kept beside it (:func:`features_copy_path`), so later runs load only what they use.
    """
    identity = f"torchvision:IMAGENET1K_V1:{Path(VGG19_URL).stem.rsplit('-', 1)[-1]}"  # the sha256 prefix in the name
    copy = features_copy_path()
    state = load_features_copy(copy, identity)
    if state is not None:
        return state, identity
    from torchvision.models import VGG19_Weights

    weights = VGG19_Weights.IMAGENET1K_V1
    try:
        full = weights.get_state_dict(progress=False, check_hash=True)
    except Exception as exc:  # URLError, HTTPError, RuntimeError (hash), OSError: all mean "no weights"
        raise WeightsError(f"could not get torchvision's VGG-19 ImageNet weights ({exc})", hint=_WEIGHTS_HINT) from exc
    state = _features_only(full, weights.url)
    _save_features_copy(copy, state, identity)
    return state, identity


def torchvision_file() -> Path:
    """Where torchvision keeps the full ImageNet weights file once downloaded (the torch hub cache)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(VGG19_URL).name


def check_weights(weights: str) -> bool:
    """A cheap look at ``--weights`` before anything slow: is it valid, and is it on this machine?

    Raises :class:`~artstyle.errors.WeightsError` for a value that is neither
    ``torchvision``, ``random`` nor an existing file; returns False only for
    ``torchvision`` weights that would have to be downloaded first.
    """
    weights = str(weights)
    if weights == "random":
        return True
    if weights == "torchvision":
        return features_copy_path().is_file() or torchvision_file().is_file()
    path = Path(weights).expanduser()
    if path.is_file():
        return True
    if path.is_dir():
        raise WeightsError(f"--weights {weights} is a folder, not a weights file", hint="pass the state-dict file itself")
    if path.suffix or len(path.parts) > 1:
        raise WeightsError(f"weights file {path} does not exist", hint="check the --weights path, or use --weights torchvision")
    raise WeightsError(
        f"unknown --weights value {weights!r}",
        hint="use torchvision (ImageNet, downloaded once), random (seeded, for trying things out) or a state-dict file path",
    )


def features_copy_path() -> Path:
    """Where the features-only copy of torchvision's weights lives: beside torchvision's file."""
    return Path(torch.hub.get_dir()) / "checkpoints" / f"{Path(VGG19_URL).stem}.features.safetensors"


def load_features_copy(path: Path, identity: str) -> dict[str, Tensor] | None:
    """The copy's tensors if it is there, made from these weights and intact (its hash matches); else None."""
    if not path.is_file():
        return None
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as file:
            metadata = file.metadata() or {}
            state = {key: file.get_tensor(key) for key in file.keys()}
        state = _features_only(state, str(path))
    except Exception as exc:  # truncated, corrupt or not a VGG-19: rebuilt from torchvision's file
        log.warning("ignoring the damaged weights copy %s (%s); rebuilding it", path, exc)
        return None
    if metadata.get("identity") != identity or metadata.get("state_hash") != state_dict_hash(state):
        log.warning("ignoring the weights copy %s: it does not match torchvision's file; rebuilding it", path)
        return None
    return state


def _save_features_copy(path: Path, state: dict[str, Tensor], identity: str) -> None:
    """Write the copy atomically; a read-only hub cache only costs the next run the full load."""
    from safetensors.torch import save

    try:
        atomic_write_bytes(path, save(state, metadata={"identity": identity, "state_hash": state_dict_hash(state)}))
    except (OSError, StorageError) as exc:
        log.info("could not keep a features-only copy of the weights at %s (%s)", path, exc)


def _features_only(state: dict[str, Tensor], name: str) -> dict[str, Tensor]:
    """The ``features`` part of a VGG-19 state dict (full model or features-only), shape-checked."""
    if any(key.startswith("features.") for key in state):
        state = {key[len("features."):]: value for key, value in state.items() if key.startswith("features.")}
    expected = _expected_shapes()
    missing = sorted(set(expected) - set(state), key=lambda k: int(k.split(".")[0]))
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k])]
    if missing or wrong:
        detail = f"missing {', '.join(missing[:4])}" if missing else f"wrong shape for {', '.join(wrong[:4])}"
        raise WeightsError(
            f"{name} is not a VGG-19 state dict ({detail})",
            hint="pass torchvision's vgg19 weights file (a state dict with features.N.weight keys)",
        )
    return {key: state[key].float() for key in expected}


def _file_state(path: Path) -> tuple[dict[str, Tensor], str]:
    """A local state dict file (``torch.save`` or safetensors), checked and hashed."""
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist", hint="check the --weights path, or use --weights torchvision")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and safetensors errors all mean "unreadable"
        raise WeightsError(
            f"cannot read weights file {path} ({exc.__class__.__name__})",
            hint="pass a VGG-19 state dict saved with torch.save or safetensors",
        ) from exc
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise WeightsError(f"weights file {path} does not hold a state dict", hint="save it with torch.save(model.state_dict(), PATH)")
    features = _features_only(state, str(path))
    return features, f"file:{path.name}:{state_dict_hash(features)}"


@functools.lru_cache(maxsize=4)
def load_state(weights: str, stamp: tuple) -> tuple[dict[str, Tensor], str]:
    if weights == "random":
        state = random_state()
        return state, f"random:seed{RANDOM_SEED}:{state_dict_hash(state)}"
    if weights == "torchvision":
        return _torchvision_state()
    return _file_state(Path(weights))


def _file_stamp(weights: str) -> tuple:
    """Size and mtime of a weights file, so an edited file is not served from the memo."""
    if weights in ("random", "torchvision"):
        return ()
    try:
        stat = os.stat(weights)
        return (stat.st_size, stat.st_mtime_ns)
    except OSError:
        return ("missing",)


def weights_state(weights: str) -> tuple[dict[str, Tensor], str]:
    """The checked features-only state dict and identity of ``weights`` (memoised like the nets).

    For executors that ship the network to other processes (``batch --executor ray``).
    """
    return load_state(str(weights), _file_stamp(str(weights)))


class FeatureNet(nn.Module):
    """Frozen VGG-19 cut after its deepest requested layer; returns the requested feature maps."""

    def __init__(self, state: dict[str, Tensor], layers: Sequence[str], pooling: Pooling, weights_identity: str) -> None:
        super().__init__()
        self.layers = check_layers(layers)
        self.pooling = Pooling(pooling)
        self.weights_identity = weights_identity
        full = _vgg19_features(self.pooling)
        full.load_state_dict(state)
        last = max(LAYER_INDEX[name] for name in self.layers)
        self.body = full[: last + 1]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()
        # channels-last convolutions run about 2x faster on CPUs (oneDNN) and no slower on GPUs
        self.body.to(memory_format=torch.channels_last)
        self.memory_format = torch.channels_last  # artstyle.core.speed runs a contiguous copy when asked

    @property
    def min_side(self) -> int:
        """The smallest image side this net accepts: each pooling before the last layer halves it."""
        return 2 ** sum(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) for m in self.body)

    @property
    def random_weights(self) -> bool:
        return self.weights_identity.startswith("random:")

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        """images [B,3,H,W] in [0,1] -> {layer: [B,C,h,w]} for this net's layers."""
        if min(images.shape[-2:]) < self.min_side:
            raise UsageError(
                f"an image of {images.shape[-1]}x{images.shape[-2]} px is too small for layer {max(self.layers, key=LAYER_INDEX.__getitem__)}: "
                f"its sides must be at least {self.min_side} px",
                hint="use a larger --size or --style-scale, or shallower --style-layers",
            )
        wanted = {LAYER_INDEX[name]: name for name in self.layers}
        x = ((images - self.mean) / self.std).contiguous(memory_format=self.memory_format)
        out: dict[str, Tensor] = {}
        for index, module in enumerate(self.body):
            x = module(x)
            if index in wanted:
                out[wanted[index]] = x
        return out


@functools.lru_cache(maxsize=8)
def _cached_net(weights: str, stamp: tuple, layers: tuple[str, ...], pooling: Pooling, device: str) -> FeatureNet:
    state, identity = load_state(weights, stamp)
    return FeatureNet(state, layers, pooling, identity).to(device)


def load_feature_net(
    weights: str, layers: Sequence[str], pooling: Pooling | str = Pooling.max, device: torch.device | str = "cpu"
) -> FeatureNet:
    """The frozen VGG-19 for these layers, memoised per process by its arguments.

    ``weights`` is ``"torchvision"``, ``"random"`` or a state-dict path; failures
    raise :class:`~artstyle.errors.WeightsError` (exit code 2) with a hint.
    """
    weights = str(weights)
    layers = check_layers(tuple(layers))
    return _cached_net(weights, _file_stamp(weights), layers, Pooling(pooling), str(torch.device(device)))


def forget_loaded_weights() -> None:
    """Drop the per-process memo of weights and nets, so the next load reads the files again
    (after the torch hub cache or a weights file was replaced behind a running process)."""
    load_state.cache_clear()
    _cached_net.cache_clear()
