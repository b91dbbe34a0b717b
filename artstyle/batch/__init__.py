"""Many paintings at once: batch plans and their manifest, the gallery, and experiment sweeps."""
