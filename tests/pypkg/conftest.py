"""The suite of the pytest plugin, run by tests/pypkg/run.sh against the installed wheel
(the plugin loads by its `pytest11` entry point, not from this checkout). `pytester`
runs inner sessions in a subprocess, to check what a user's failing test looks like."""

pytest_plugins = ["pytester"]
