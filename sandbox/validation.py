"""Fetching the images a claim points at, as OrderProtection's servers would."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import requests
from PIL import Image

from sandbox.contract import FieldError


def claim_image_urls(body: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(field, url)`` for every image a claim that meets the contract points at.

    An empty ``signature`` is allowed by the API and is not an image to fetch.
    """
    item = body.get("item", {})
    for index, url in enumerate(item.get("images", [])):
        yield f"item.images[{index}]", url
    if "productImage" in item:
        yield "item.productImage", item["productImage"]
    for index, url in enumerate(body.get("warranty", {}).get("receiptImages", [])):
        yield f"warranty.receiptImages[{index}]", url
    if body.get("signature", ""):
        yield "signature", body["signature"]


@dataclass(frozen=True)
class ImageFetch:
    """What fetching one image URL gave: the sha256 of its bytes, or why it failed."""

    sha256: str | None
    problem: str | None


def fetch_image(url: str, *, timeout: float) -> ImageFetch:
    """GET ``url`` and check that it answers 200 with bytes Pillow can decode."""
    try:
        response = requests.get(url, timeout=timeout)
    except requests.Timeout:
        return ImageFetch(None, f"timed out after {timeout}s")
    except requests.RequestException as exc:
        return ImageFetch(None, type(exc).__name__)
    if response.status_code != 200:
        return ImageFetch(None, f"HTTP {response.status_code}")
    try:
        with Image.open(BytesIO(response.content)) as image:
            image.verify()
    except Exception:  # Pillow raises many types for undecodable data.
        return ImageFetch(None, "not an image")
    return ImageFetch(hashlib.sha256(response.content).hexdigest(), None)


def image_errors(
    body: dict[str, Any], *, timeout: float, fetched: dict[str, str]
) -> list[FieldError]:
    """Fetch every image of the claim; record the sha256 of each good one in ``fetched``."""
    results: dict[str, ImageFetch] = {}
    errors: list[FieldError] = []
    for field, url in claim_image_urls(body):
        if url not in results:
            results[url] = fetch_image(url, timeout=timeout)
        result = results[url]
        if result.sha256 is not None:
            fetched[url] = result.sha256
        else:
            errors.append(FieldError(field, f"could not fetch image at {url}: {result.problem}"))
    return errors
