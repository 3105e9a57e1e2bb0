"""Bad input gives a clear error naming the op and the shapes."""

import numpy as np
import pytest

from tinygrad_ce import ShapeError, Tensor


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "sub"),
        (lambda a, b: a * b, "mul"),
        (lambda a, b: a / b, "div"),
        (lambda a, b: a**b, "pow"),
    ],
)
def test_binary_shape_mismatch_names_op_and_shapes(op, name):
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((4,)))
    with pytest.raises(ValueError, match=rf"{name}.*\(2, 3\).*\(4,\)") as info:
        op(a, b)
    assert isinstance(info.value, ShapeError)


def test_matmul_mismatch_names_both_shapes_and_the_inner_dims():
    with pytest.raises(ShapeError, match=r"matmul.*\(2, 3\).*\(4, 5\).*3.*4"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    with pytest.raises(ShapeError, match=r"matmul.*\(3,\).*\(2,\)"):
        Tensor(np.ones(3)) @ Tensor(np.ones(2))
    with pytest.raises(ShapeError, match="1-D"):
        Tensor(np.ones(3)) @ Tensor(2.0)


def test_reshape_and_index_errors_name_the_op():
    with pytest.raises(ShapeError, match=r"reshape.*\(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)
    with pytest.raises(IndexError, match="getitem"):
        Tensor(np.ones(3))[5]
    with pytest.raises(ShapeError, match="transpose"):
        Tensor(np.ones((2, 3))).transpose((0, 0))  # two ints swap (v2); a tuple is a permutation


def test_backward_on_non_scalar_without_gradient():
    y = Tensor(np.ones((2, 2)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"one-element.*\(2, 2\).*gradient="):
        y.backward()


def test_backward_gradient_with_wrong_shape():
    y = Tensor(np.ones((2, 2)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2, 2\)"):
        y.backward(np.ones(3))


def test_backward_on_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2).sum().backward()


def test_second_backward_without_retain_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_pow_tensor_exponent_gradient_at_a_negative_base_is_nan_as_pytorch():
    base = Tensor([-1.0, 2.0])
    exponent = Tensor([2.0, 2.0], requires_grad=True)
    (base**exponent).sum().backward()
    assert np.isnan(exponent.grad.data[0]) and exponent.grad.data[1] == np.float32(4 * np.log(2.0))
