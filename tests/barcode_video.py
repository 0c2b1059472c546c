"""A fake camera for Chromium: a Y4M video of a product's barcode, for
`--use-file-for-fake-video-capture` (tests/browser/conftest.py, bench/barcode_decode.py)."""

from pathlib import Path

from PIL import Image, ImageDraw

from kiosk.barcode_drawing import QUIET_MODULES, ean13_modules

# A real EAN-13 (its check digit holds): what the fake camera shows.
CAMERA_BARCODE = "4006381333931"
FRAME_SIZE = (1280, 720)


def barcode_frame(code: str = CAMERA_BARCODE, size: tuple[int, int] = FRAME_SIZE) -> Image.Image:
    """A grey counter with a white label on it, the barcode printed on the label, about as a
    tablet held a hand's width away sees it: the bars fill a third of the frame's width."""
    width, height = size
    modules = ean13_modules(code)
    module = max(1, width // 3 // len(modules))
    bars_width = len(modules) * module
    bars_height = max(20, height // 3)
    label_width = bars_width + 2 * QUIET_MODULES * module
    label_height = bars_height + 2 * QUIET_MODULES * module
    frame = Image.new("L", size, 150)
    draw = ImageDraw.Draw(frame)
    left, top = (width - label_width) // 2, (height - label_height) // 2
    draw.rectangle([left, top, left + label_width, top + label_height], fill=255)
    x0, y0 = left + QUIET_MODULES * module, top + QUIET_MODULES * module
    for index, bit in enumerate(modules):
        if bit == "1":
            x = x0 + index * module
            draw.rectangle([x, y0, x + module - 1, y0 + bars_height], fill=0)
    return frame


def write_barcode_y4m(path: Path, code: str = CAMERA_BARCODE, frames: int = 3) -> Path:
    """The frame as a grey 4:2:0 Y4M video of a few identical frames (Chromium loops it)."""
    frame = barcode_frame(code)
    width, height = frame.size
    luma = frame.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)
    return path
