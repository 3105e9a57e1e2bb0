"""Attention: the fused `scaled_dot_product_attention` against its composed twin and against
PyTorch (values and q, k, v gradients), gradchecks to second order, dropout under a seed;
`nn.MultiheadAttention` against PyTorch's (a state dict loads; same outputs, weights and
gradients); `compare_fused` on the cross-entropy and on attention."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import tinygrad_ce as tg
import tinygrad_ce.functional as F
from tinygrad_ce import Tensor, grad, gradcheck, nn
from tinygrad_ce.lab.compare import FusedComparison, compare_fused
from tinygrad_ce.lab.viz.graph import walk

R = np.random.default_rng(11)
SDPA = F.scaled_dot_product_attention


def _qkv(batch=(2, 3), L=4, S=6, E=5, Ev=3, dtype=np.float64):
    return [R.normal(size=batch + shape).astype(dtype) for shape in ((L, E), (S, E), (S, Ev))]


def _bool_mask(*shape):
    m = R.uniform(size=shape) > 0.4
    m[..., 0] = True  # every query sees at least one key (an all-masked row is nan, as PyTorch)
    return m


MASKS = {
    "none": {},
    "bool (L, S)": {"attn_mask": _bool_mask(4, 6)},
    "bool (B, H, L, S)": {"attn_mask": _bool_mask(2, 3, 4, 6)},
    "bool (H, 1, S)": {"attn_mask": _bool_mask(3, 1, 6)},
    "float (L, S)": {"attn_mask": R.normal(size=(4, 6))},
    "float with -inf": {"attn_mask": np.where(_bool_mask(4, 6), 0.5, -np.inf)},
    "causal": {"is_causal": True},
    "scale": {"scale": 0.3},
    "causal and scale": {"is_causal": True, "scale": 2.0},
}


def _run(arrays, fused, seed=None, **kwargs):
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = SDPA(*xs, fused=fused, **kwargs)
    seed = np.linspace(-1, 1, out.size).reshape(out.shape) if seed is None else seed
    return out.data, [g.data for g in grad(out, xs, grad_outputs=seed.astype(out.dtype))]


def _torch_run(arrays, seed=None, **kwargs):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    out = torch.nn.functional.scaled_dot_product_attention(*ts, **kw)
    seed = np.linspace(-1, 1, out.numel()).reshape(out.shape) if seed is None else seed
    out.backward(torch.tensor(seed.astype(arrays[0].dtype)))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


# ----------------------------------------------------------------------------- the twin
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(MASKS))
def test_fused_and_twin_agree(name, dtype):
    arrays = _qkv(dtype=dtype)
    kwargs = MASKS[name]
    fused, fused_grads = _run(arrays, True, **kwargs)
    twin, twin_grads = _run(arrays, False, **kwargs)
    tol = 1e-12 if dtype == np.float64 else 2e-6
    assert fused.dtype == twin.dtype == dtype
    np.testing.assert_allclose(fused, twin, rtol=tol, atol=tol)
    for a, b in zip(fused_grads, twin_grads):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("name", list(MASKS))
def test_matches_torch(name, fused):
    arrays = _qkv()
    out, grads = _run(arrays, fused, **MASKS[name])
    expected, expected_grads = _torch_run(arrays, **MASKS[name])
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    for g, t in zip(grads, expected_grads):
        np.testing.assert_allclose(g, t, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fused", [True, False])
def test_matches_torch_with_broadcast_batch_and_other_lengths(fused):
    q, k, v = R.normal(size=(3, 7, 4)), R.normal(size=(1, 2, 4)), R.normal(size=(2, 6))  # L > S
    for kwargs in ({}, {"is_causal": True}):
        out, grads = _run([q, k, v], fused, **kwargs)
        expected, expected_grads = _torch_run(
            [q, np.broadcast_to(k, (3, 2, 4)).copy(), np.broadcast_to(v, (3, 2, 6)).copy()], **kwargs
        )
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grads[0], expected_grads[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grads[1], expected_grads[1].sum(0, keepdims=True), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grads[2], expected_grads[2].sum(0), rtol=1e-12, atol=1e-12)


def test_fused_is_one_node_and_the_twin_is_composed():
    xs = [Tensor(a, requires_grad=True) for a in _qkv()]
    fused = SDPA(*xs, is_causal=True)
    assert repr(fused.grad_fn) == "<scaled_dot_product_attention>" and fused.grad_fn.fused
    assert len(walk([fused]).ops) == 1
    assert len(walk([SDPA(*xs, is_causal=True, fused=False)]).ops) > 5


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("name", ["none", "bool (L, S)", "float with -inf", "causal and scale"])
def test_gradcheck_first_and_second_order(name, fused):
    xs = [Tensor(a, requires_grad=True) for a in _qkv(batch=(2,), L=3, S=4, E=3, Ev=2)]
    kwargs = dict(MASKS[name])
    if "attn_mask" in kwargs:  # the masks above are for (L, S) = (4, 6)
        kwargs["attn_mask"] = kwargs["attn_mask"][..., :3, :4]
    w = Tensor(np.linspace(0.5, 1.5, 2 * 3 * 2).reshape(2, 3, 2))

    def f(*args):
        return (SDPA(*args, fused=fused, **kwargs) ** 2 * w).sum()

    assert gradcheck(f, xs)
    weights = [Tensor(np.linspace(-1, 1, x.size).reshape(x.shape)) for x in xs]

    def first_order(*args):
        gs = grad(f(*args), list(args), create_graph=True)
        return sum((g * u).sum() for g, u in zip(gs, weights))

    assert gradcheck(first_order, xs)


def test_second_order_of_fused_and_twin_agree():
    arrays = _qkv(batch=(2,), L=3, S=4, E=3, Ev=2)
    results = []
    for fused in (True, False):
        xs = [Tensor(a, requires_grad=True) for a in arrays]
        gq, gk, gv = grad((SDPA(*xs, is_causal=True, fused=fused) ** 2).sum(), xs, create_graph=True)
        results.append([g.data for g in grad((gq**2).sum() + (gk * gv.sum()).sum(), xs)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- dropout
def test_dropout_is_deterministic_under_a_seed():
    arrays = _qkv()
    outs = []
    for _ in range(2):
        tg.manual_seed(5)
        outs.append(_run(arrays, True, dropout_p=0.3))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    for a, b in zip(outs[0][1], outs[1][1]):
        np.testing.assert_array_equal(a, b)
    plain, _ = _run(arrays, True)
    assert not np.allclose(outs[0][0], plain)
    tg.manual_seed(6)
    assert not np.allclose(_run(arrays, True, dropout_p=0.3)[0], outs[0][0])


def test_dropout_draws_the_same_mask_for_both_paths_and_with_an_rng():
    arrays = _qkv()
    tg.manual_seed(3)
    fused, fused_grads = _run(arrays, True, dropout_p=0.5)
    tg.manual_seed(3)
    twin, twin_grads = _run(arrays, False, dropout_p=0.5)
    np.testing.assert_allclose(fused, twin, rtol=1e-12, atol=1e-12)
    for a, b in zip(fused_grads, twin_grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    a, _ = _run(arrays, True, dropout_p=0.5, rng=9)
    b, _ = _run(arrays, True, dropout_p=0.5, rng=9)
    np.testing.assert_array_equal(a, b)


def test_dropout_keeps_the_expected_weights():
    q, k = np.zeros((200, 1, 4)), np.zeros((200, 10, 4))  # uniform weights 1/10
    v = np.eye(10)[None].repeat(200, 0)  # out = the attention weights themselves
    out = SDPA(q, k, v, dropout_p=0.25, rng=0).data
    kept = out > 0
    np.testing.assert_allclose(out[kept], 0.1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_array_equal(SDPA(q, k, v, dropout_p=1.0, rng=0).data, 0.0)


# ----------------------------------------------------------------------------- errors
def test_errors_name_the_problem():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match="not both"):
        SDPA(q, k, v, attn_mask=_bool_mask(4, 6), is_causal=True)
    with pytest.raises(ValueError, match="do not fit"):
        SDPA(q, k[..., :3], v)
    with pytest.raises(TypeError, match="bool or float"):
        SDPA(q, k, v, attn_mask=np.ones((4, 6), dtype=int))
    with pytest.raises(ValueError, match="dropout_p"):
        SDPA(q, k, v, dropout_p=1.5)
    with pytest.raises(ValueError, match="does not broadcast"):
        SDPA(q, k, v, attn_mask=np.ones((5, 6), dtype=bool))


# ----------------------------------------------------------------------------- MultiheadAttention
def _torch_mha(E, H, batch_first, bias=True):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first, dtype=torch.float64)
    if bias:
        with torch.no_grad():  # non-zero biases, so that loading them matters
            tm.in_proj_bias.normal_()
            tm.out_proj.bias.normal_()
    m = nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first, dtype=np.float64)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return tm, m


def _mha_masks(kind, N, H, L, S):
    if kind == "none":
        return {}
    if kind == "bool":
        pad = np.zeros((N, S), bool)
        pad[0, -1] = pad[-1, :2] = True
        return {"key_padding_mask": pad, "attn_mask": ~np.tri(L, S, 2, dtype=bool)}
    if kind == "float":
        return {"key_padding_mask": R.normal(size=(N, S)), "attn_mask": R.normal(size=(L, S))}
    return {"attn_mask": R.normal(size=(N * H, L, S))}  # "3-D"


def _compare_mha(tm, m, inputs, **kwargs):
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    t_out, t_w = tm(*ts, **tkw)
    seed = np.linspace(-1, 1, t_out.numel()).reshape(t_out.shape)
    tm.zero_grad()
    t_out.backward(torch.tensor(seed))
    xs = [Tensor(a, requires_grad=True) for a in inputs]
    out, w = m(*xs, **kwargs)
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    if t_w is None:
        assert w is None
    else:
        np.testing.assert_allclose(w.data, t_w.detach().numpy(), rtol=1e-12, atol=1e-12)
    params = [p for _, p in m.named_parameters()]
    grads = grad(out, xs + params, grad_outputs=seed)
    expected = [t.grad for t in ts] + [p.grad for _, p in tm.named_parameters()]
    for g, t in zip(grads, expected):
        np.testing.assert_allclose(g.data, t.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "3-D"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_matches_torch(batch_first, masks, need_weights):
    E, H, N, L, S = 8, 2, 3, 4, 5
    tm, m = _torch_mha(E, H, batch_first)
    shape = (lambda n: (N, n, E)) if batch_first else (lambda n: (n, N, E))
    inputs = [R.normal(size=shape(L)), R.normal(size=shape(S)), R.normal(size=shape(S))]
    kwargs = _mha_masks(masks, N, H, L, S)
    if masks in ("bool", "float"):
        kwargs["key_padding_mask"] = kwargs["key_padding_mask"].astype(kwargs["attn_mask"].dtype)
    _compare_mha(tm, m, inputs, need_weights=need_weights, **kwargs)


def test_multihead_attention_self_attention_per_head_weights_unbatched_and_no_bias():
    tm, m = _torch_mha(6, 3, batch_first=True, bias=False)
    x = R.normal(size=(2, 4, 6))
    _compare_mha(tm, m, [x, x, x], average_attn_weights=False)
    tm, m = _torch_mha(6, 3, batch_first=False)
    _compare_mha(tm, m, [R.normal(size=(4, 6)), R.normal(size=(5, 6)), R.normal(size=(5, 6))])
    causal = ~np.tri(4, 4, dtype=bool)
    _compare_mha(tm, m, [x[0], x[0], x[0]], attn_mask=causal, is_causal=True, need_weights=False)


def test_multihead_attention_parameters_and_init_as_torch():
    m = nn.MultiheadAttention(12, 4)
    tm = torch.nn.MultiheadAttention(12, 4)
    assert list(m.state_dict()) == list(tm.state_dict())
    for key, value in tm.state_dict().items():
        assert m.state_dict()[key].shape == tuple(value.shape)
    assert m.in_proj_weight.dtype == np.float32
    np.testing.assert_array_equal(m.in_proj_bias.data, 0)
    np.testing.assert_array_equal(m.out_proj.bias.data, 0)
    assert np.abs(m.in_proj_weight.data).max() <= math.sqrt(6 / (12 + 36))
    assert np.abs(m.out_proj.weight.data).max() <= 1 / math.sqrt(12)
    assert np.abs(m.in_proj_weight.data).std() > 0.1
    assert [n for n, _ in nn.MultiheadAttention(4, 2, bias=False).named_parameters()] == [
        "in_proj_weight",
        "out_proj.weight",
    ]
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(10, 3)


def test_multihead_attention_dropout_only_in_training_and_seeded():
    m = nn.MultiheadAttention(8, 2, dropout=0.4, batch_first=True)
    x = Tensor(R.normal(size=(2, 5, 8)).astype(np.float32))
    outs = []
    for need in (True, False):
        tg.manual_seed(1)
        a = m(x, x, x, need_weights=need)[0].data
        tg.manual_seed(1)
        outs.append((a, m(x, x, x, need_weights=need)[0].data))
    for a, b in outs:
        np.testing.assert_array_equal(a, b)
    m.eval()
    plain = m(x, x, x)[0].data
    np.testing.assert_array_equal(plain, m(x, x, x, need_weights=False)[0].data)
    assert not np.allclose(plain, outs[0][0])


def test_multihead_attention_errors():
    m = nn.MultiheadAttention(8, 2)
    x = R.normal(size=(4, 2, 8))
    with pytest.raises(ValueError, match="is_causal"):
        m(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="key_padding_mask"):
        m(x, x, x, key_padding_mask=np.zeros((4, 2), bool))
    with pytest.raises(ValueError, match="attn_mask"):
        m(x, x, x, attn_mask=np.zeros((3, 4), bool))
    with pytest.raises(ValueError, match="expected query"):
        m(x[..., :6], x, x)


# ----------------------------------------------------------------------------- compare_fused
def test_compare_fused_cross_entropy_agrees_with_direct_computation():
    logits = Tensor(R.normal(size=(6, 4)) * 3, requires_grad=True)
    target = np.array([0, 1, 2, 3, 2, 1])
    result = compare_fused(F.cross_entropy, logits, target, repeats=2, label_smoothing=0.1, grad_output=None)
    assert isinstance(result, FusedComparison) and result.name == "cross_entropy"
    grads = []
    for fused in (True, False):
        loss = F.cross_entropy(logits, target, label_smoothing=0.1, fused=fused)
        grads.append(grad(loss, logits)[0].data)
    diff = np.abs(grads[0] - grads[1])
    d = result.grad_differences["logits"]
    assert d.max_abs == diff.max() and diff[d.worst_index] == diff.max()
    assert result.max_grad_difference == diff.max() and result.worst_grad == "logits"
    assert result.fused.ops == 1 and result.fused.nodes == 3 and result.unfused.ops > 5
    for path in (result.fused, result.unfused):
        assert path.forward_seconds > 0 and path.backward_seconds > 0 and path.peak_bytes > 0
    assert logits.grad is None  # grad(), not backward(): .grad untouched


def test_compare_fused_attention_and_its_report():
    q, k, v = [Tensor(a, requires_grad=True) for a in _qkv()]
    result = compare_fused(SDPA, q, k, v, attn_mask=MASKS["bool (L, S)"]["attn_mask"], repeats=2)
    assert set(result.grad_differences) == {"q", "k", "v"}
    assert result.max_grad_difference < 1e-13 and result.value_difference.max_abs < 1e-13
    assert result.worst_grad in {"q", "k", "v"}
    assert result.max_grad_difference == max(d.max_abs for d in result.grad_differences.values())
    assert result.fused.ops == 1 and result.unfused.ops > result.fused.ops
    assert result.shape == (2, 3, 4, 3) and result.dtype == "float64"
    text = repr(result)
    assert text == str(result) and "max gradient difference" in text and "grad q difference" in text
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data and data["worst_grad"] == result.worst_grad
    import tinygrad_ce.compare

    assert tinygrad_ce.compare.compare_fused is compare_fused
    with pytest.raises(TypeError, match="fused="):
        compare_fused(SDPA, q, k, v, fused=True)


def test_compare_fused_with_a_module_output_tuple():
    def mha(x, fused):  # a tuple (output, weights): its first Tensor is compared
        return F.scaled_dot_product_attention(x, x, x, fused=fused), None

    x = Tensor(R.normal(size=(3, 4)), requires_grad=True)
    result = compare_fused(mha, x, repeats=1)
    assert result.grad_differences["x"].max_abs < 1e-13


@pytest.mark.parametrize("fused", [True, False])
def test_a_query_with_no_key_gives_zeros_as_torch(fused):
    arrays = _qkv()
    for mask in (np.ones((4, 6), bool), np.zeros((4, 6))):
        mask[1] = False if mask.dtype == bool else -np.inf
        out, grads = _run(arrays, fused, attn_mask=mask)
        expected, expected_grads = _torch_run(arrays, attn_mask=mask)
        assert np.all(out[:, :, 1] == 0) and np.all(grads[0][:, :, 1] == 0)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
        for g, t in zip(grads, expected_grads):
            np.testing.assert_allclose(g, t, rtol=1e-12, atol=1e-12)
    xs = [Tensor(a, requires_grad=True) for a in _qkv(batch=(2,), L=3, S=4, E=3, Ev=2)]
    mask = np.ones((3, 4), bool)
    mask[0] = False
    assert gradcheck(lambda *a: (SDPA(*a, attn_mask=mask, fused=fused) ** 2).sum(), xs)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # -inf - -inf in the weights path
def test_multihead_attention_with_every_key_padded_as_torch():
    tm, m = _torch_mha(4, 2, batch_first=True)
    x = R.normal(size=(2, 3, 4))
    pad = np.zeros((2, 3), bool)
    pad[1] = True  # the second sequence has no key: PyTorch's fast path gives zeros, its weights path nan
    _compare_mha(tm, m, [x, x, x], key_padding_mask=pad, need_weights=False)
    out, w = m(x, x, x, key_padding_mask=pad)
    t_out, t_w = tm(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(pad))
    assert np.isnan(out.data[1]).all() and np.isnan(w.data[1]).all() and torch.isnan(t_out[1]).all()
    np.testing.assert_allclose(out.data[0], t_out[0].detach().numpy(), rtol=1e-12, atol=1e-12)
