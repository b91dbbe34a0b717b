"""Pure torch, no I/O: the VGG-19 feature net, losses, optimisers, colour transforms, speed paths.

Nothing here reads the catalog, the style cache or the network; the other
stages (``style``, ``paint``) call into it with tensors.
"""
