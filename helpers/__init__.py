"""Helpers for the transposed-convolution notebooks: ops (tensor code), shapes (size arithmetic),
plots (figures), widgets (explorers) and exercises (checkers). Importing the package runs nothing."""
from .ops import corr2d, trans_conv, trans_conv_stamps
from .shapes import conv_output_shape, trans_conv_output_shape

__all__ = ["corr2d", "trans_conv", "trans_conv_stamps", "conv_output_shape", "trans_conv_output_shape"]
