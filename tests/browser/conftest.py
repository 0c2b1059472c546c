"""Browser tests: Debian's Chromium driven by Playwright against Django's live_server."""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.barcode_video import write_barcode_y4m
from tests.images import image_bytes

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
# The smallest touch target, in CSS px, and how a page's are measured (TARGETS_SCRIPT,
# given TARGET_PX: the targets smaller than it, described).
TARGET_PX = 44
# A target is what can be tapped; a radio or checkbox is tapped through its label. Every
# collapsed panel (<details>, Bootstrap's collapse) is opened while it measures, then
# closed again: what is in a panel is tapped once it is opened.
TARGETS_SCRIPT = """(px) => {
  const selector = "a[href], button, select, textarea, summary, input:not([type=hidden])";
  const closed = [...document.querySelectorAll("details:not([open])")];
  const collapsed = [...document.querySelectorAll(".collapse:not(.show)")];
  closed.forEach((panel) => { panel.open = true; });
  collapsed.forEach((panel) => panel.classList.add("show"));
  const small = [];
  for (const element of document.querySelectorAll(selector)) {
    let target = element;
    if (element.matches("input[type=radio], input[type=checkbox]") && element.labels.length) {
      target = element.labels[0];
    }
    const box = target.getBoundingClientRect();
    const style = getComputedStyle(target);
    if (!box.width || !box.height || style.visibility === "hidden") continue;
    if (target.closest(".visually-hidden, [hidden]")) continue;
    if (box.width < px - 0.5 || box.height < px - 0.5) {
      const size = `${Math.round(box.width)}×${Math.round(box.height)}`;
      small.push(`${target.outerHTML.slice(0, 90)} ${size}`);
    }
  }
  closed.forEach((panel) => { panel.open = false; });
  collapsed.forEach((panel) => panel.classList.remove("show"));
  return small;
}"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


def fake_camera_args(video: Path) -> list[str]:
    """Chromium's camera shows `video` (a Y4M file) and is allowed without asking."""
    return [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


@pytest.fixture(scope="session")
def fake_camera_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the camera shows: tests.barcode_video.CAMERA_BARCODE, made at session start."""
    return write_barcode_y4m(tmp_path_factory.mktemp("camera") / "barcode.y4m")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, fake_camera_video: Path) -> dict:
    """Playwright cannot download its own browser here: use Debian's. Its camera is a
    video of a barcode (tests/browser/test_scanner.py); no other test uses a camera."""
    args = CHROMIUM_ARGS + fake_camera_args(fake_camera_video)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": args}


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
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(r"^[^?]*://[^/]+/$"))  # the home page, in any language


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
    """Tap the name, then the PIN's digits: the pad sends them at the last digit when it
    knows the PIN's length (and the PIN has that length), otherwise tap Unlock."""
    page.get_by_role("link", name=associate_name).click()
    length = page.locator("[data-pin-form]").get_attribute("data-pin-length")
    *first, last = pin
    for digit in first:
        page.locator(f"[data-digit='{digit}']").click()
    if length == str(len(pin)):
        with page.expect_navigation():
            page.locator(f"[data-digit='{last}']").click()
    else:
        page.locator(f"[data-digit='{last}']").click()
        page.get_by_test_id("unlock").click()


@pytest.fixture
def pins(associate, manager):
    from kiosk.services.tablets import pin_set

    pin_set(user=associate, pin=PIN, by=manager)


@dataclass(frozen=True)
class Photos:
    item: Path
    receipt: Path
    not_an_image: Path

    @staticmethod
    def sha256(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def photos(tmp_path: Path) -> Photos:
    """Files as the tablet's camera roll would hand them over."""
    item = tmp_path / "item-photo.jpg"
    item.write_bytes(image_bytes("JPEG", size=(640, 480), color="navy"))
    receipt = tmp_path / "receipt-photo.png"
    receipt.write_bytes(image_bytes("PNG", size=(300, 600), color="darkorange"))
    not_an_image = tmp_path / "receipt.jpg"
    not_an_image.write_text("Thank you for shopping at Main Street. Total: $249.99\n")
    return Photos(item=item, receipt=receipt, not_an_image=not_an_image)


def sign(page: Page) -> None:
    """Draw a signature with the mouse, in three strokes."""
    canvas = page.locator("canvas[data-signature-canvas]")
    # The pad takes strokes once kiosk.js has started (offline: after the kept input is in).
    expect(canvas).to_have_attribute("data-ready", "")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    strokes = [
        [(0.10, 0.70), (0.20, 0.30), (0.30, 0.70), (0.40, 0.35)],
        [(0.45, 0.60), (0.55, 0.40), (0.65, 0.65), (0.75, 0.30)],
        [(0.15, 0.80), (0.85, 0.78)],
    ]
    for stroke in strokes:
        page.mouse.move(left + stroke[0][0] * width, top + stroke[0][1] * height)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(left + x * width, top + y * height, steps=8)
        page.mouse.up()
    expect(page.locator("#id_signature_data")).to_have_value(re.compile(r"^data:image/png;base64,"))


def draft_at_its_address(store, associate, *, state: str, **fields):
    """A draft whose address page is next, as a new claim has it: the store (and the claim)
    in `state`, no street, city or ZIP code yet."""
    from kiosk.models import Claim
    from tests.factories import ClaimFactory

    store.default_state = state
    store.save()
    return ClaimFactory(
        store=store,
        created_by=associate,
        status=Claim.Status.DRAFT,
        ship_address1="",
        ship_city="",
        ship_zip="",
        ship_state=state,
        **fields,
    )
