"""Neural style transfer core: image I/O, VGG loss network, losses, classic optimisation.

UI-free: pages and the command line (``python -m core``) call into it; nothing here imports
Streamlit.
"""

from core import quiet

# Written into every picture's recipe (core.picture_recipe); "0.N": the studio with issues up
# to N resolved.
__version__ = "0.19"

# Whatever first imports TensorFlow or Keras, its start-up lines stay out of the CLI's output
# and the server's log (STYLE_STUDIO_VERBOSE=1 shows them; core/quiet.py).
quiet.install()
