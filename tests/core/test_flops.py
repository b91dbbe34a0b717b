"""The analytic FLOP model behind the benchmark's floor."""

import pytest

from artstyle.core.flops import step_flops, vgg19_layer_shapes


def test_layer_shapes_follow_vgg19():
    shapes = vgg19_layer_shapes(224, 224)
    assert len(shapes) == 16
    assert shapes[0] == ("relu1_1", 3, 64, 224, 224)
    assert shapes[-1] == ("relu5_4", 512, 512, 14, 14)
    assert [s[0] for s in shapes].index("relu4_2") == 9


def test_full_vgg19_conv_cost_matches_published_figure():
    # VGG-19's convolutions cost about 19.5 GMACs at 224 px (Simonyan & Zisserman; 19.6 G incl. FC).
    flops = step_flops(224, 224, deepest="relu5_4", style_layers=())
    assert flops.forward / 2 == pytest.approx(19.5e9, rel=0.01)
    assert flops.backward == flops.forward and flops.gram == 0


def test_truncation_and_batch_scale_the_count():
    full = step_flops(512, 512, deepest="relu5_4")
    cut = step_flops(512, 512, deepest="relu5_1")
    assert cut.forward < full.forward
    assert step_flops(512, 512, batch=4).total == pytest.approx(4 * cut.total)
    with pytest.raises(ValueError, match="unknown VGG-19 layer"):
        step_flops(64, 64, deepest="relu9_9")
