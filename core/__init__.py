"""Neural style transfer core: image I/O, VGG loss network, losses, classic optimisation.

UI-free: pages and the command line (``python -m core``) call into it; nothing here imports
Streamlit.
"""

import os

# Quiet TensorFlow's C++ info and warning lines on stderr (a few start-up lines print
# regardless); the CLI and the app have their own messages. TF_CPP_MIN_LOG_LEVEL=0 undoes it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
