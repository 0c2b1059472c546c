"""Browser tests: Debian's Chromium driven by Playwright against Django's live_server."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# An iPad Air held upright: what the stores' tablets show.
TABLET = {"viewport": {"width": 820, "height": 1180}, "device_scale_factor": 2, "has_touch": True}
PASSWORD = "correct horse battery"  # tests.factories.UserFactory's password


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Playwright cannot download its own browser here: use Debian's."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def tablet_context(new_context, live_server, settings) -> BrowserContext:
    settings.PUBLIC_MEDIA_BASE_URL = live_server.url  # the sandbox fetches photos from it
    context = new_context(base_url=live_server.url, **TABLET)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def tablet(tablet_context: BrowserContext) -> Page:
    """A page at the stores' tablet size, with relative URLs going to live_server."""
    return tablet_context.new_page()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """`screenshot(page, "label")` saves test-artifacts/screenshots/<test>/NN-label.png."""
    folder = SCREENSHOTS / request.node.originalname
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []

    def take(page: Page, label: str) -> Path:
        page.evaluate("window.scrollTo(0, 0)")  # else the sticky banner lands mid-page
        path = folder / f"{len(taken) + 1:02d}-{re.sub(r'[^\w.-]+', '-', label)}.png"
        page.screenshot(path=path, full_page=True, scale="css", animations="disabled")
        taken.append(path)
        return path

    return take


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form; ends on the home page."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="File a warranty claim")).to_be_visible()


@pytest.fixture
def associate_tablet(tablet: Page, associate, store) -> Page:
    """The tablet, logged in as the associate of the store, on the home page."""
    log_in(tablet, associate.username)
    return tablet


@pytest.fixture(autouse=True)
def no_content_security_policy_violations(monkeypatch):
    """Every browser test fails if a page broke the Content-Security-Policy (inline script
    or style, a foreign source): Chromium reports each violation on the console."""
    from playwright.sync_api import Browser

    violations: list[str] = []

    def listen(target) -> None:
        target.on(
            "console",
            lambda message: (
                violations.append(f"{message.text} ({message.location.get('url')})")
                if "Content Security Policy" in message.text
                else None
            ),
        )

    for name in ("new_context", "new_page"):
        original = getattr(Browser, name)

        def opened(self, *args, _original=original, **kwargs):
            target = _original(self, *args, **kwargs)
            listen(target)
            return target

        monkeypatch.setattr(Browser, name, opened)
    yield
    assert violations == []


PIN = "4821"


def sign_in_tablet(page: Page, manager) -> None:
    log_in(page, manager.username)
    page.get_by_test_id("tablet-setup").click()
    page.fill("#id_name", "Counter 1")
    page.get_by_role("button", name="Sign the tablet in").click()
    expect(page.get_by_role("heading", name="Who is at the counter?")).to_be_visible()


def tap_pin(page: Page, associate_name: str, pin: str) -> None:
    page.get_by_role("link", name=associate_name).click()
    for digit in pin:
        page.locator(f"[data-digit='{digit}']").click()
    page.get_by_test_id("unlock").click()


@pytest.fixture
def pins(associate, manager):
    from kiosk.services.tablets import pin_set

    pin_set(user=associate, pin=PIN, by=manager)
