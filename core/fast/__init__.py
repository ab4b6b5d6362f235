"""Fast (feed-forward) style transfer: the network, its trainer, the bundled models."""
