"""The official ``kaggle`` client (2.2.5), imported safely and optionally redirected.

Three things about the client shape this module:

- ``import kaggle`` runs ``KaggleApi.authenticate()`` and fixes the config folder
  (``KAGGLE_CONFIG_DIR`` / ``~/.kaggle``) at import time; with an access token (even one in
  ``~/.kaggle/access_token``) it asks the production server who the token belongs to, without a
  timeout. ``import_kaggle_api`` imports it with no credentials in sight (HOME and the config
  folder in an empty temporary folder) and its help text silenced, and ``connect`` makes an
  instance that reads the config folder as it is *now* and authenticates against the
  (possibly redirected) server.
- Its HTTP requests have no timeout. ``connect`` gives every request ``request_timeout``.
- Its base URL is fixed per environment. ``KAGGLE_PIPELINE_API_URL`` (e.g.
  ``http://127.0.0.1:8123``) sends every API call to ``{url}/v1/{service}/{Method}`` instead
  of ``https://api.kaggle.com/v1/...``: for tests against a fake server, and for proxies.

Both changes are made on the ``KaggleClient`` the client builds for each call
(``KaggleApi.build_kaggle_client``), so every call of the official API goes through them.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import threading
from typing import Any, Iterator, Mapping

from requests.adapters import HTTPAdapter

from host.kaggle_api.credentials import (CONFIG_DIR_ENV, Credentials, CredentialsError,
                                           config_dir)

__all__ = ["API_URL_ENV", "api_base_url", "import_kaggle_api", "connect"]

API_URL_ENV = "KAGGLE_PIPELINE_API_URL"
_URL_RE = re.compile(r"https?://[^\s/]+(/[^\s]*)?")
_import_lock = threading.Lock()


def api_base_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The redirected base URL from ``KAGGLE_PIPELINE_API_URL``, or None for Kaggle itself."""
    env = os.environ if environ is None else environ
    url = env.get(API_URL_ENV, "").strip()
    if not url:
        return None
    if not _URL_RE.fullmatch(url):
        raise ValueError(f"{API_URL_ENV} = {url!r}: expected a base URL such as "
                         "'http://127.0.0.1:8123' (API calls go to <url>/v1/<service>/<method>)")
    return url.rstrip("/")


# Read by ``import kaggle``: each could make the import-time authentication reach a server,
# or (VERBOSE, VERBOSE_OUTPUT) make every later client print its Authorization header.
_IMPORT_HIDDEN = ("KAGGLE_API_TOKEN", "KAGGLE_API_V1_TOKEN", "KAGGLE_USERNAME", "KAGGLE_KEY",
                  "XDG_CONFIG_HOME", "VERBOSE", "VERBOSE_OUTPUT")


@contextlib.contextmanager
def _nothing_to_authenticate_with() -> Iterator[None]:
    """``os.environ`` without credentials or verbosity, HOME and KAGGLE_CONFIG_DIR in an
    empty temporary folder; restored afterwards."""
    saved = {name: os.environ.get(name) for name in (*_IMPORT_HIDDEN, "HOME", CONFIG_DIR_ENV)}
    with tempfile.TemporaryDirectory(prefix="kaggle-import-") as empty:
        try:
            for name in _IMPORT_HIDDEN:
                os.environ.pop(name, None)
            os.environ["HOME"] = empty
            os.environ[CONFIG_DIR_ENV] = os.path.join(empty, "kaggle")
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def import_kaggle_api() -> type:
    """``kaggle.api.kaggle_api_extended.KaggleApi``, imported without import-time side effects
    that matter: ``import kaggle`` authenticates at once (an access token, even one in
    ``~/.kaggle/access_token``, is sent to the production server, without a timeout); here it
    finds no credentials at all, so it reaches no server, prints nothing and turns on no
    verbose output. ``connect`` authenticates later, against the chosen server."""
    with _import_lock:
        if "kaggle" not in sys.modules:
            with _nothing_to_authenticate_with(), contextlib.redirect_stdout(io.StringIO()):
                import kaggle  # noqa: F401  (runs the client's authenticate())
        from kaggle.api.kaggle_api_extended import KaggleApi
    return KaggleApi


class _TimeoutAdapter(HTTPAdapter):
    """An adapter that gives requests without a timeout this one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def send(self, request, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


def _api_class() -> type:
    base = import_kaggle_api()
    from kagglesdk import KaggleClient, KaggleEnv

    class PipelineKaggleApi(base):  # type: ignore[misc, valid-type]
        """``KaggleApi`` whose clients use our base URL and request timeout."""

        def __init__(self, base_url: str | None, request_timeout: float) -> None:
            self.base_url = base_url
            self.request_timeout = request_timeout
            # The class attributes were fixed when kaggle was imported; read the folder now.
            self.config_dir = str(config_dir())
            self.config = os.path.join(self.config_dir, self.config_file)

        def build_kaggle_client(self) -> Any:
            client = KaggleClient(
                env=KaggleEnv.PROD if self.base_url else self._env(),
                verbose=False,  # verbose prints every request's Authorization header
                username=self.config_values.get(self.CONFIG_NAME_USER),
                password=self.config_values.get(self.CONFIG_NAME_KEY),
                api_token=self.config_values.get(self.CONFIG_NAME_TOKEN),
                response_processor=self.get_response_processor())
            http = client.http_client()
            if self.base_url:
                # kagglesdk 0.1.37 builds every URL as f"{_endpoint}/v1/{service}/{method}"
                # in the PROD environment (KaggleHttpClient._get_request_url).
                http._endpoint = self.base_url
            http._init_session()
            session = http._session
            adapter = _TimeoutAdapter(self.request_timeout)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            return client

        def _env(self) -> Any:
            return (KaggleEnv.STAGING if "--staging" in self.args else KaggleEnv.ADMIN
                    if "--admin" in self.args else KaggleEnv.LOCAL if "--local" in self.args
                    else KaggleEnv.PROD)

    return PipelineKaggleApi


def connect(credentials: Credentials, *, base_url: str | None = None,
            request_timeout: float = 120.0) -> Any:
    """An authenticated ``KaggleApi`` (official client) for ``credentials``.

    For an access token this asks the server whose it is; a rejected token or key raises
    ``CredentialsError``. Nothing is uploaded.
    """
    api = _api_class()(base_url, request_timeout)
    swallowed = io.StringIO()
    try:
        with contextlib.redirect_stdout(swallowed):
            api.authenticate()
    except SystemExit:
        said = swallowed.getvalue().strip().splitlines()
        raise CredentialsError(
            f"the Kaggle client did not accept the credentials from {credentials.source} "
            f"({said[0] if said else 'no detail'}); create a new token at "
            "https://www.kaggle.com/settings") from None
    return api
