"""Reference solutions to the notebooks' exercises; tests/test_exercises.py runs them through the checkers."""
import torch


# 01-transposed-convolution-loop.ipynb
def kernel_length(n, o):
    return o - n + 1


def trans_conv_stride(X, K, stride):
    h, w = K.shape
    Y = torch.zeros(((X.shape[0] - 1) * stride + h, (X.shape[1] - 1) * stride + w))
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            Y[i * stride:i * stride + h, j * stride:j * stride + w] += X[i, j] * K
    return Y


def trans_conv_channels(X, K):
    c_in, c_out, h, w = K.shape
    Y = torch.zeros((c_out, X.shape[1] + h - 1, X.shape[2] + w - 1))
    for c in range(c_in):
        for i in range(X.shape[1]):
            for j in range(X.shape[2]):
                Y[:, i:i + h, j:j + w] += X[c, i, j] * K[c]
    return Y


# 02-padding-stride-and-channels.ipynb
def transposed_input_size(o, k, s, p, op, d):
    return (o - 1 + 2 * p - d * (k - 1) - op) // s + 1


def recovering_output_padding(n, k, s, p):
    o = (n + 2 * p - k) // s + 1
    return n - ((o - 1) * s - 2 * p + k)


# 03-the-matrix-view.ipynb
def kernel2matrix_1d(k, n):
    m = k.shape[0]
    W = torch.zeros((n - m + 1, n))
    for r in range(n - m + 1):
        W[r, r:r + m] = k
    return W


def trans_conv_via_matrix(Y, K, input_shape, stride, padding):
    from helpers import kernel2matrix

    W = kernel2matrix(K, input_shape, stride, padding)
    return (W.T @ Y.reshape(-1)).reshape(input_shape)


def equivalent_conv(X, K, stride, padding, output_padding, dilation):
    import torch.nn.functional as F

    Xz = torch.zeros(((X.shape[0] - 1) * stride + 1, (X.shape[1] - 1) * stride + 1))
    Xz[::stride, ::stride] = X
    qh, qw = (dilation * (k - 1) - padding for k in K.shape)
    Xp = F.pad(Xz, (qw, qw + output_padding, qh, qh + output_padding))
    return F.conv2d(Xp[None, None], K.flip(0, 1)[None, None], dilation=dilation)[0, 0]


# 04-checkerboard-artifacts.ipynb
def overlap_count(n, k, s):
    counts = [0] * ((n - 1) * s + k)
    for i in range(n):
        for a in range(k):
            counts[i * s + a] += 1
    return counts


def doubling():
    return 4, 1


# 05-upsampling-in-practice.ipynb
def bilinear_kernel(s):
    k = 2 * s
    center = (k - 1) / 2
    filt = 1 - (torch.arange(k, dtype=torch.float32) - center).abs() / s
    return torch.outer(filt, filt)


def round_trip_size(n, levels):
    for _ in range(levels):
        n = (n + 2 - 3) // 2 + 1
    for _ in range(levels):
        n = (n - 1) * 2 - 2 + 4
    return n


# 06-what-each-implementation-costs.ipynb
def matrix_entries(c_in, c_out, n, k, s, p):
    o = (n - 1) * s - 2 * p + k
    return (c_out * o * o) * (c_in * n * n)


def columns_shape(x_shape, k_shape, s):
    n, _, h, w = x_shape
    _, c_out, kh, kw = k_shape
    return (n, c_out * kh * kw, h * w)


def zero_multiply_adds(n, k, s, p):
    o = (n - 1) * s - 2 * p + k
    per_axis = sum(1 for i in range(n) for a in range(k) if 0 <= i * s + a - p < o)
    return k * k * o * o - per_axis ** 2


# 07-transposed-convolution-in-real-networks.ipynb
def set_kernel(layer, K):
    if K.shape != layer.weight.shape:
        raise ValueError(f"K has shape {tuple(K.shape)}, the weight {tuple(layer.weight.shape)}")
    with torch.no_grad():
        layer.weight.copy_(K)


def bilinear_upsampler(C, s):
    from helpers.upsampling import bilinear_kernel

    layer = torch.nn.ConvTranspose2d(C, C, 2 * s, stride=s, padding=s // 2, bias=False)
    with torch.no_grad():
        layer.weight.zero_()
        for c in range(C):
            layer.weight[c, c] = bilinear_kernel(s)
    return layer


def bilinear_upsampler_grouped(C, s):
    from helpers.upsampling import bilinear_kernel

    layer = torch.nn.ConvTranspose2d(C, C, 2 * s, stride=s, padding=s // 2, groups=C,
                                     bias=False)
    with torch.no_grad():
        layer.weight.copy_(bilinear_kernel(s).expand(C, 1, 2 * s, 2 * s))
    return layer


def to_transposed(conv):
    up = torch.nn.ConvTranspose2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                                  stride=conv.stride, bias=False)
    with torch.no_grad():
        up.weight.copy_(conv.weight.transpose(0, 1))
    return up


def trans_conv_with_bias(X, K, b, stride, output_padding):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - 1) * stride + h + output_padding,
                    (X.shape[1] - 1) * stride + w + output_padding)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            Y[i * stride:i * stride + h, j * stride:j * stride + w] += X[i, j] * K
    return Y + b


def up_to(up, x, skip):
    return up(x, output_size=skip.shape[-2:])


# 04, the sub-pixel view
def even_sizes(s, largest):
    from helpers import overlap_counts
    sizes = []
    for k in range(1, largest + 1):
        counts = overlap_counts((1, 4 * k), (1, k), (1, s))[0, k:-k]
        if counts.min() == counts.max():
            sizes.append(k)
    return sizes


def trans_conv_by_phases(x, k, s):
    n, m = x.shape[0], k.shape[0]
    y = torch.zeros((n - 1) * s + m)
    for r in range(min(s, m)):
        kr = k[r::s]
        y[r::s] = torch.nn.functional.conv1d(x[None, None], kr.flip(0)[None, None], padding=len(kr) - 1)[0, 0]
    return y


def flat_kernel():
    return [0.5, 1, 1, 0.5]


# 05
def upsample_by_three():
    return 2, 1

