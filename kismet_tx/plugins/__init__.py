"""Plugins: the plugin API (:mod:`.api`), discovery and lifecycle (:mod:`.manager`),
an in-memory harness for plugin tests (:mod:`.testing`) and an example (:mod:`.probestats`)."""
