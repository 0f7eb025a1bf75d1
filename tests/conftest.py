"""The pggit pytest plugin (entry point ``pggit``) provides the fixtures; pytester runs inner suites."""

pytest_plugins = ["pytester"]
