"""What runs on the user's machine: planning, bundling kernels, the dry run and the push.

``host`` imports the runtime package ``shared``; nothing in ``shared`` (or ``kernels/``)
imports ``host``, and no kernel carries it (``host.bundle.closure`` checks both).
"""
