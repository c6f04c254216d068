"""Helpers for the transposed-convolution notebooks: ops (tensor code), shapes (size arithmetic),
matrix (convolution as a matrix), implementations (four more ways to compute it), plots (figures),
widgets (explorers) and exercises (checkers).
Importing the package runs nothing."""
from .implementations import (
    trans_conv_fold,
    trans_conv_matrix,
    trans_conv_subpixel,
    trans_conv_via_conv,
    trans_conv_via_matrix,
)
from .matrix import kernel2matrix, recovering_output_padding
from .ops import corr2d, interior, overlap_counts, trans_conv, trans_conv_stamps
from .shapes import conv_input_sizes, conv_output_shape, trans_conv_output_shape

__all__ = [
    "corr2d", "trans_conv", "trans_conv_via_conv", "trans_conv_via_matrix", "trans_conv_fold",
    "trans_conv_matrix", "trans_conv_stamps", "overlap_counts", "interior", "kernel2matrix",
    "recovering_output_padding", "conv_output_shape", "trans_conv_output_shape", "conv_input_sizes",
    "trans_conv_subpixel",
]
