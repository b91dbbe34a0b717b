"""A work's style targets (Gram matrices, Gatys et al. 2015) and their cache on disk and on the device."""
