import os
import shutil

import pytest

from kiosk.models import ClaimAttachment
from kiosk.services.attachments import attachment_store
from tests.factories import ClaimFactory, StoreFactory, UserFactory
from tests.images import image_bytes, signature_png

pytest_plugins = ["sandbox.pytest_plugin"]

# pytest-playwright runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def remove_test_media_afterwards():
    from django.conf import settings

    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    shutil.rmtree(settings.STATIC_ROOT, ignore_errors=True)


@pytest.fixture
def associate(db):
    return UserFactory(username="alex", first_name="Alex")


@pytest.fixture
def store(associate):
    return StoreFactory(name="Main Street", source_store_id="store_123", members=[associate])


@pytest.fixture
def associate_client(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def api_to_sandbox(settings, sandbox):
    """Point the portal at the in-process sandbox, over real HTTP."""
    settings.ORDERPROTECTION_API_URL = sandbox.url
    settings.ORDERPROTECTION_API_TOKEN = "sandbox-token"
    return sandbox


def attach(claim, kind: str, data: bytes) -> ClaimAttachment:
    return attachment_store(claim=claim, kind=kind, data=data)


@pytest.fixture
def complete_claim(store, associate):
    """A claim ready to submit: every step done, with item, receipt and signature images."""
    claim = ClaimFactory(store=store, created_by=associate)
    attach(claim, ClaimAttachment.Kind.ITEM, image_bytes("JPEG"))
    attach(claim, ClaimAttachment.Kind.RECEIPT, image_bytes("JPEG", color="white"))
    attach(claim, ClaimAttachment.Kind.SIGNATURE, signature_png())
    return claim


@pytest.fixture
def media_server(settings):
    """Serves MEDIA_ROOT over HTTP, as a web server would, so the sandbox can fetch uploads."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(settings.MEDIA_ROOT))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    settings.MEDIA_URL = "/"
    settings.PUBLIC_MEDIA_BASE_URL = base
    yield base
    server.shutdown()
    server.server_close()
