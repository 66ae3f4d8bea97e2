"""Walking a network layer by layer for the receptive-field recurrence (private).

:mod:`seglearn.receptive_field` holds the public functions and their documentation. Here a
model is traced with ``torch.fx`` (so the order is the real data flow of ``forward``) and
each node carries the state of the recurrence: receptive field, jump, the centre of the
first output's field in input coordinates, and the output size when the input size is
known. Branches merged by ``+``, ``*`` or ``torch.cat`` take the hull of their fields.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import fx, nn

__all__ = ["LayerSpec", "ReceptiveFieldRow", "walk"]


@dataclass(frozen=True)
class LayerSpec:
    """One sliding-window layer for receptive-field arithmetic (square windows).

    Attributes:
        kernel: window side k (≥ 1).
        stride: step s (≥ 1).
        dilation: spacing d between taps (≥ 1); ``k_eff = d (k - 1) + 1``.
        padding: zeros added on each side (only changes output sizes and the centre).
        ceil_mode: pooling's ``ceil_mode`` (only changes output sizes).

    Chapter: book/receptive_fields
    """

    kernel: int
    stride: int = 1
    dilation: int = 1
    padding: int = 0
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        for name in ("kernel", "stride", "dilation"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.padding < 0:
            raise ValueError(f"padding must be >= 0, got {self.padding}")


@dataclass(frozen=True)
class ReceptiveFieldRow:
    """One row of :func:`seglearn.receptive_field.receptive_field_table`.

    Attributes:
        name: layer name (the module's qualified name, or ``layer<i>`` for specs).
        type: module class or function name (``Conv2d``, ``MaxPool2d``, ``cat`` …).
        kernel, stride, dilation, padding: the layer's window (1, 1, 1, 0 for pointwise
            layers and merges).
        k_eff: effective kernel ``dilation * (kernel - 1) + 1``.
        jump: input pixels between two adjacent outputs of this layer, ``Π s``.
        receptive_field: side of the square field of one output of this layer.
        start: centre of the first output's field, in input pixel coordinates (−0.5 …
            where padding shifts it left of the image).
        out_size: ``(H_out, W_out)`` when the input size was given, else ``None``.
        pointwise: True for layers that change neither field nor jump.

    Chapter: book/receptive_fields
    """

    name: str
    type: str
    kernel: int
    stride: int
    dilation: int
    padding: int
    k_eff: int
    jump: int
    receptive_field: int
    start: float
    out_size: tuple[int, int] | None
    pointwise: bool = False


_POINTWISE_MODULES = (
    nn.Identity, nn.Dropout, nn.Dropout2d, nn.AlphaDropout,
    nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d, nn.LocalResponseNorm,
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU,
    nn.Mish, nn.Sigmoid, nn.Tanh, nn.Hardtanh, nn.Hardswish, nn.Hardsigmoid, nn.Softplus,
    nn.Softmax2d,
)
_POINTWISE_FUNCTIONS = {
    F.relu, F.relu6, F.leaky_relu, F.elu, F.selu, F.gelu, F.silu, F.mish, F.hardtanh,
    F.sigmoid, F.tanh, F.dropout, F.dropout2d, torch.relu, torch.sigmoid, torch.tanh,
    operator.neg, torch.neg,
}
_POINTWISE_METHODS = {"relu", "relu_", "sigmoid", "tanh", "contiguous", "clone", "float", "double"}
_MERGE_FUNCTIONS = {operator.add, operator.mul, operator.sub, torch.add, torch.mul, torch.cat}
_MERGE_METHODS = {"add", "mul", "sub"}
_NON_TENSOR = {"size", "dim"}  # methods returning shapes, not tensors


@dataclass(frozen=True)
class _State:
    rf: int
    jump: int
    start: float
    size: tuple[int, int] | None


def _square(value: int | tuple[int, ...], what: str, name: str) -> int:
    if isinstance(value, tuple):
        if len(set(value)) != 1:
            raise ValueError(f"layer '{name}': non-square {what} {value} is not supported")
        value = value[0]
    return int(value)


def _module_spec(m: nn.Module, name: str) -> LayerSpec | None:
    """LayerSpec of a sliding-window module, None for a pointwise one; else TypeError."""
    if isinstance(m, nn.Conv2d):
        k = _square(m.kernel_size, "kernel_size", name)
        s = _square(m.stride, "stride", name)
        d = _square(m.dilation, "dilation", name)
        if isinstance(m.padding, str):  # "valid" or "same" (stride 1 only, PyTorch checks)
            if m.padding == "valid":
                return LayerSpec(k, s, d, 0)
            if d * (k - 1) % 2:
                raise ValueError(f"layer '{name}': asymmetric 'same' padding is not supported")
            return LayerSpec(k, s, d, d * (k - 1) // 2)
        return LayerSpec(k, s, d, _square(m.padding, "padding", name))
    if isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
        k = _square(m.kernel_size, "kernel_size", name)
        s = _square(m.stride if m.stride is not None else m.kernel_size, "stride", name)
        d = _square(getattr(m, "dilation", 1), "dilation", name)
        return LayerSpec(k, s, d, _square(m.padding, "padding", name), bool(m.ceil_mode))
    if isinstance(m, _POINTWISE_MODULES):
        return None
    if isinstance(m, nn.Softmax | nn.LogSoftmax) and m.dim in (1, -3):
        return None
    raise TypeError(
        f"receptive_field does not understand {type(m).__name__} (layer '{name}'); it "
        "understands Conv2d, MaxPool2d, AvgPool2d, pointwise layers (norms, activations, "
        "dropout, Identity) and branches merged by add/mul/cat"
    )


def _out_size(n: int, spec: LayerSpec, name: str) -> int:
    span = n + 2 * spec.padding - spec.dilation * (spec.kernel - 1) - 1
    if spec.ceil_mode:
        out = -(-span // spec.stride) + 1
        if (out - 1) * spec.stride >= n + spec.padding:  # last window must start inside
            out -= 1
    else:
        out = span // spec.stride + 1
    if out < 1:
        raise ValueError(f"layer '{name}': input of size {n} is too small (output {out})")
    return out


def _apply(
    state: _State, spec: LayerSpec, name: str, kind: str
) -> tuple[_State, ReceptiveFieldRow]:
    k_eff = spec.dilation * (spec.kernel - 1) + 1
    rf = state.rf + (k_eff - 1) * state.jump
    start = state.start + ((k_eff - 1) / 2 - spec.padding) * state.jump
    size = None
    if state.size is not None:
        size = (_out_size(state.size[0], spec, name), _out_size(state.size[1], spec, name))
    new = _State(rf, state.jump * spec.stride, start, size)
    row = ReceptiveFieldRow(name, kind, spec.kernel, spec.stride, spec.dilation,
                            spec.padding, k_eff, new.jump, rf, start, size)
    return new, row


def _pointwise_row(state: _State, name: str, kind: str) -> ReceptiveFieldRow:
    return ReceptiveFieldRow(name, kind, 1, 1, 1, 0, 1, state.jump, state.rf, state.start,
                             state.size, pointwise=True)


def _merge(states: list[_State], name: str) -> _State:
    if len({s.jump for s in states}) != 1:
        raise ValueError(f"'{name}' merges branches with different jumps "
                         f"{[s.jump for s in states]}; their fields do not align")
    if len({s.size for s in states}) != 1:
        raise ValueError(f"'{name}' merges branches of different sizes {[s.size for s in states]}")
    lo = min(s.start - (s.rf - 1) / 2 for s in states)
    hi = max(s.start + (s.rf - 1) / 2 for s in states)
    return _State(round(hi - lo) + 1, states[0].jump, (lo + hi) / 2, states[0].size)


def _tensor_inputs(node: fx.Node, states: dict) -> list[_State]:
    found: list[_State] = []
    fx.node.map_arg((node.args, node.kwargs), lambda a: found.append(states.get(a)))
    return [s for s in found if s is not None]


def _cat_dim(node: fx.Node) -> int:
    return node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)


def _walk_graph(model: nn.Module, size: tuple[int, int] | None) -> list[ReceptiveFieldRow]:
    if fx.Tracer().is_leaf_module(model, ""):  # a bare nn.Conv2d etc.: fx would trace into it
        model = nn.Sequential(OrderedDict(model=model))
    try:
        graph = fx.symbolic_trace(model).graph
    except Exception as err:  # fx raises many types; name the model in one clear error
        raise TypeError(f"cannot trace {type(model).__name__} with torch.fx ({err}); "
                        "pass a list of layer specs instead") from err
    states: dict[fx.Node, _State | None] = {}
    rows: list[ReceptiveFieldRow] = []
    out: _State | None = None
    for node in graph.nodes:
        ins = _tensor_inputs(node, states)
        if node.op == "placeholder":
            if any(s is not None for s in states.values()):
                raise TypeError("receptive_field handles models with a single input")
            states[node] = _State(1, 1, 0.0, size)
            continue
        if node.op == "get_attr" or not ins:  # parameters, constants, shapes
            states[node] = None
            continue
        if node.op == "output":
            if not isinstance(node.args[0], fx.Node):
                raise TypeError("receptive_field needs a model that returns one tensor")
            out = states[node.args[0]]
            continue
        target = node.target
        name = node.target if node.op == "call_module" else node.name
        if node.op == "call_module":
            spec = _module_spec(model.get_submodule(target), name)
            kind = type(model.get_submodule(target)).__name__
        elif target in _MERGE_FUNCTIONS or target in _MERGE_METHODS:
            kind = getattr(target, "__name__", str(target))
            if target is torch.cat and _cat_dim(node) not in (1, -3):
                raise TypeError(f"'{name}': torch.cat over dim {_cat_dim(node)} mixes "
                                "positions; only concatenation over channels is understood")
            state = states[node] = _merge(ins, name) if len(ins) > 1 else ins[0]
            rows.append(ReceptiveFieldRow(name, kind, 1, 1, 1, 0, 1, state.jump, state.rf,
                                          state.start, state.size, pointwise=len(ins) == 1))
            continue
        elif target in _POINTWISE_FUNCTIONS or target in _POINTWISE_METHODS:
            spec, kind = None, getattr(target, "__name__", str(target))
        elif target in _NON_TENSOR or (node.op == "call_function" and target is getattr):
            states[node] = None
            continue
        else:
            raise TypeError(f"receptive_field does not understand the operation "
                            f"{getattr(target, '__name__', target)} ('{name}')")
        if len(ins) != 1:
            raise TypeError(f"'{name}' ({kind}) takes {len(ins)} tensors; expected one")
        if spec is None:
            states[node] = ins[0]
            rows.append(_pointwise_row(ins[0], name, kind))
        else:
            states[node], row = _apply(ins[0], spec, name, kind)
            rows.append(row)
    if out is None or not rows:
        raise TypeError(f"{type(model).__name__} has no layer between input and output")
    return rows


def _as_spec(layer: LayerSpec | Sequence[int], i: int) -> LayerSpec:
    if isinstance(layer, LayerSpec):
        return layer
    if isinstance(layer, Sequence) and 3 <= len(layer) <= 4:
        return LayerSpec(*(int(v) for v in layer))
    raise TypeError(f"layer spec {i} must be a LayerSpec or a tuple (kernel, stride, dilation"
                    f"[, padding]), got {layer!r}")


def walk(layers, *, input_size: int | tuple[int, int] | None = None) -> list[ReceptiveFieldRow]:
    """Rows of the recurrence for an ``nn.Module`` or a sequence of layer specs."""
    size = (input_size, input_size) if isinstance(input_size, int) else input_size
    if size is not None:
        size = (int(size[0]), int(size[1]))
        if min(size) < 1:
            raise ValueError(f"input_size must be positive, got {input_size}")
    if isinstance(layers, nn.Module):
        return _walk_graph(layers, size)
    if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
        raise TypeError(f"expected an nn.Module or a non-empty list of layer specs, got "
                        f"{type(layers).__name__}")
    state, rows = _State(1, 1, 0.0, size), []
    for i, layer in enumerate(layers):
        state, row = _apply(state, _as_spec(layer, i), f"layer{i}", "spec")
        rows.append(row)
    return rows

