"""Running the WSGI app: one server process (:mod:`~auth_server.serving.server`, with what
Sigil changes inside waitress in :mod:`~auth_server.serving.waitress_glue`), the pre-fork
supervisor (:mod:`~auth_server.serving.prefork`), and the one startup path from settings
to a serving app that every way of running Sigil takes (:mod:`~auth_server.serving.bootstrap`)."""
