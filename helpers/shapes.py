"""Size arithmetic for convolutions and transposed convolutions, per axis, as (H, W) pairs.

Introduced in 01-transposed-convolution-loop.ipynb.
"""

from . import _checks


def trans_conv_output_shape(
    input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1
):
    """Output (H_out, W_out) of a transposed convolution, as `nn.ConvTranspose2d` computes it.

    Per axis: o = (i - 1)*s - 2*p + d*(k - 1) + output_padding + 1.
    Every argument is an int or an (h, w) pair.
    """
    i = _checks.pair(input_size, "input_size", minimum=1)
    k = _checks.pair(kernel_size, "kernel_size", minimum=1)
    s = _checks.pair(stride, "stride", minimum=1)
    p = _checks.pair(padding, "padding", minimum=0)
    op = _checks.pair(output_padding, "output_padding", minimum=0)
    d = _checks.pair(dilation, "dilation", minimum=1)
    _checks.output_padding_rule(op, s, d)
    out = []
    for axis, ia, ka, sa, pa, opa, da in zip(("height", "width"), i, k, s, p, op, d):
        o = (ia - 1) * sa - 2 * pa + da * (ka - 1) + opa + 1
        if o < 1:
            raise ValueError(
                f"padding={pa} crops the whole output {axis}: "
                f"(i-1)*s - 2*p + d*(k-1) + output_padding + 1 "
                f"= ({ia}-1)*{sa} - 2*{pa} + {da}*({ka}-1) + {opa} + 1 = {o}, "
                "which must be at least 1"
            )
        out.append(o)
    return tuple(out)


def conv_output_shape(
    input_size, kernel_size, stride=1, padding=0, dilation=1, *, input_name="input_size"
):
    """Output (H_out, W_out) of a convolution, as `nn.Conv2d` computes it.

    Per axis: o = floor((i + 2*p - d*(k - 1) - 1) / s) + 1.
    Every argument is an int or an (h, w) pair; `input_name` is how messages call the input size.
    """
    i = _checks.pair(input_size, input_name, minimum=1)
    k = _checks.pair(kernel_size, "kernel_size", minimum=1)
    s = _checks.pair(stride, "stride", minimum=1)
    p = _checks.pair(padding, "padding", minimum=0)
    d = _checks.pair(dilation, "dilation", minimum=1)
    out = []
    for axis, ia, ka, sa, pa, da in zip(("height", "width"), i, k, s, p, d):
        span = da * (ka - 1) + 1
        if ia + 2 * pa < span:
            raise ValueError(
                f"{input_name} is smaller than the dilated kernel on the {axis}: "
                f"i + 2*p = {ia} + 2*{pa} = {ia + 2 * pa} "
                f"< d*(k-1) + 1 = {da}*({ka}-1) + 1 = {span}"
            )
        out.append((ia + 2 * pa - span) // sa + 1)
    return tuple(out)


def conv_input_sizes(output_size, kernel_size, stride=1, padding=0, dilation=1):
    """Every input length (one axis) a convolution maps to `output_size`: `stride` lengths.

    They are the lengths a transposed convolution with the same arguments can return, one for each
    output_padding 0 .. stride-1 in order. Every argument is one int (one axis).
    Introduced in 02-padding-stride-and-channels.ipynb.
    """
    o = _checks.positive_int(output_size, "output_size")
    k = _checks.positive_int(kernel_size, "kernel_size")
    s = _checks.positive_int(stride, "stride")
    p = _checks.positive_int(padding, "padding", minimum=0)
    d = _checks.positive_int(dilation, "dilation")
    smallest = trans_conv_output_shape(o, k, s, p, 0, d)[0]  # output_padding 0
    return [smallest + op for op in range(s)]
