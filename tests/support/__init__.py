"""Helpers shared by the tests (``tests/`` is on ``sys.path`` through the root ``conftest.py``).

- :mod:`support.paths`: the repository root and THE shared folder (``SHARED``, ``PAINTINGS``, ``SAMPLES``).
- :mod:`support.corpus`: the shared paintings imported into a data home (``register_paintings``, ``work_id``).
- :mod:`support.batch`: photos for a batch and a headless-browser check of a gallery.
- :mod:`support.cache`: synthetic Gram targets.
- :mod:`support.wikiart` and :mod:`support.wikiart_replay`: the local WikiArt replay and its fixtures.

Modules here import each other relatively, so the package also loads as ``tests.support``.
"""
