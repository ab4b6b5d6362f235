"""The fast page's parts: the studio's trained networks (results) and Magenta's any-painting
and 26-style networks (magenta), painted through one cache."""
