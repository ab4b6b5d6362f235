"""Neural style transfer core: image I/O, VGG loss network, losses, classic optimisation.

UI-free: pages and the command line (``python -m core``) call into it; nothing here imports
Streamlit.
"""

import os

# TensorFlow prints several lines of start-up chatter to stderr on import; the CLI and the
# app have their own messages. Users can still ask for it with TF_CPP_MIN_LOG_LEVEL=0.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
