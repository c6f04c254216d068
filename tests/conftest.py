import random

import pytest
import torch


@pytest.fixture
def rng():
    """A seeded random.Random for drawing configurations; torch's own generator is seeded too."""
    torch.manual_seed(0)
    return random.Random(0)
