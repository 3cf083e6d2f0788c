import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_render_cache(tmp_path_factory):
    """Rendered splits go to a temporary cache, never the user's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XMBENCH_CACHE", str(tmp_path_factory.mktemp("xmbench-cache")))
        yield
