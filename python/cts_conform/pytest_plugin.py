"""The pytest plugin (entry point `pytest11`), loaded by `pip install cts-conform`:

- `cts_emulator`: the reference emulator, one for the session (configure it by
  overriding the `cts_emulator_options` fixture), or a fresh one for a test marked
  `@pytest.mark.cts_emulator(**options)` (the options of `cts_conform.Emulator`);
- `cts_proxy(upstream, ...)`: starts the validating proxy in front of `upstream`, for the
  test;
- request judging: after each test phase, the violation records of every emulator and
  proxy running are read; a test whose requests broke the contract fails with them
  listed (`@pytest.mark.cts_allow_violations` or `--cts-allow-violations`: they are only
  shown);
- clean shutdown: every process is stopped when its scope ends, whatever the outcome,
  and the session checks that none is left running.
"""

import pytest

from ._judged import _LIVE
from ._violations import failure_text
from .emulator import Emulator
from .proxy import Proxy

ALLOW_MARKER = "cts_allow_violations"

# Every server a fixture started this session, to judge and to check at the end.
_STARTED = []


def pytest_addoption(parser):
    group = parser.getgroup("cts-conform")
    group.addoption(
        "--cts-allow-violations",
        action="store_true",
        default=False,
        help="do not fail a test whose requests to the CTS emulator or proxy break the contract (they are still shown)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "cts_emulator(**options): a fresh CTS emulator for this test, with the options of "
        "cts_conform.Emulator (buckets, trackers, preload, cloud, faults, ...) over cts_emulator_options",
    )
    config.addinivalue_line(
        "markers",
        f"{ALLOW_MARKER}: the contract violations of this test's requests do not fail it",
    )


def _started(server):
    _STARTED.append(server)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def cts_emulator_options():
    """The options of the session's emulator (`cts_conform.Emulator`); override this
    fixture in conftest.py to set them."""
    return {}


@pytest.fixture(scope="session")
def _cts_session_emulator(cts_emulator_options):
    emulator = _started(Emulator(**cts_emulator_options))
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def cts_emulator(request, cts_emulator_options):
    """The CTS emulator: `endpoint`, `ak`, `sk`, `project_id`, `client()`, `trackers()`,
    `request()`, `reset()`. Shared by the session, unless the test is marked
    `@pytest.mark.cts_emulator(...)`."""
    marker = request.node.get_closest_marker("cts_emulator")
    if marker is None:
        return request.getfixturevalue("_cts_session_emulator")
    if marker.args:
        raise pytest.UsageError("@pytest.mark.cts_emulator takes keyword options only, e.g. faults=['delete-keeps']")
    emulator = Emulator(**{**cts_emulator_options, **marker.kwargs})
    request.addfinalizer(emulator.stop)
    return _started(emulator)


@pytest.fixture
def cts_proxy(request):
    """`cts_proxy(upstream, ak=..., sk=..., token=..., project_id=..., timeout=...)`: starts
    the validating proxy in front of `upstream` for this test and returns it (`endpoint`,
    `client()`); its requests and the upstream's answers are judged with the test."""
    started = []

    def start(upstream, **options):
        proxy = Proxy(upstream, **options)
        started.append(proxy)
        return _started(proxy)

    yield start
    for proxy in started:
        proxy.stop()


def _violations_since_last_phase():
    """Every record the running (or just stopped) servers wrote since the last phase, as
    the failure text; "" when there is none. Forgets servers stopped and read to the end."""
    found = []
    for server in list(_STARTED):
        records = server.take_violations()
        if records:
            found.append(failure_text(records, f"{server.description} at {server.endpoint}"))
        if not server.running and not records:
            _STARTED.remove(server)
    return "\n".join(found)


def _judging_on(item):
    return not (item.config.getoption("cts_allow_violations") or item.get_closest_marker(ALLOW_MARKER))


def _judged_phase(item, phase):
    """Runs the phase; then fails it when its requests left violations and judging is on,
    else (judging off, or the phase failed already) adds them to its report."""
    failed = True
    try:
        result = yield
        failed = False
        return result
    finally:
        text = _violations_since_last_phase()
        if text:
            if failed or not _judging_on(item):
                item.add_report_section(phase, "CTS contract violations", text)
            else:
                pytest.fail(text, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    # Setup and call together: a fixture's requests count for the test.
    return (yield from _judged_phase(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    return (yield from _judged_phase(item, "teardown"))


def pytest_sessionfinish(session):
    left = [server for server in {*_STARTED, *_LIVE} if server.running]
    for server in left:
        server.stop()
    if left:
        names = ", ".join(repr(server) for server in left)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"cts-conform: still running at the end of the session, stopped now: {names}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
