"""Checks a claim body the way the sandbox's strict fake of the API does.

The JSON Schema is read from the project's schema file by path: the sandbox must not
import anything from the app it is there to test.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

import requests
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from PIL import Image

SCHEMA_PATH = (
    Path(__file__).resolve().parent.parent / "kiosk" / "schemas" / "offline_claim_request.json"
)


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; ``field`` is a dotted path such as ``item.images[0]``."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The JSON shape used in the sandbox's error bodies."""
        return {"field": self.field, "message": self.message}


@cache
def claim_validator() -> Draft202012Validator:
    """The request-body validator, built once from ``SCHEMA_PATH``."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def field_path(parts: Iterable[str | int]) -> str:
    """Render a JSON path as ``a.b[0].c``."""
    rendered = ""
    for part in parts:
        if isinstance(part, int):
            rendered += f"[{part}]"
        else:
            rendered += f".{part}" if rendered else part
    return rendered


def schema_errors(body: Any) -> list[FieldError]:
    """Every schema violation in ``body``, each naming the offending field.

    Missing required keys name the missing key; unexpected keys name the unexpected key.
    """
    errors: list[FieldError] = []
    # jsonschema reports one error per missing key but gives no structured key name,
    # so each object's missing keys are worked out once, from the instance itself.
    paths_with_required_done: set[tuple[str | int, ...]] = set()
    for error in sorted(claim_validator().iter_errors(body), key=_error_order):
        path = tuple(error.absolute_path)
        if error.validator == "required":
            if path in paths_with_required_done:
                continue
            paths_with_required_done.add(path)
            for key in error.validator_value:
                if key not in error.instance:
                    field = field_path((*path, key))
                    errors.append(FieldError(field, f"{field} is required"))
        elif error.validator == "additionalProperties" and error.validator_value is False:
            for key in _unexpected_keys(error):
                field = field_path((*path, key))
                errors.append(FieldError(field, f"{field} is not an allowed field"))
        else:
            field = field_path(path)
            errors.append(FieldError(field, _describe(field, error)))
    return errors


def _error_order(error: ValidationError) -> tuple[list[str | int], bool]:
    # By position in the document; at one position, missing keys come first.
    return list(error.absolute_path), error.validator != "required"


def _unexpected_keys(error: ValidationError) -> list[str]:
    allowed = error.schema.get("properties", {})
    patterns = error.schema.get("patternProperties", {})
    return [
        key
        for key in error.instance
        if key not in allowed and not any(re.search(pattern, key) for pattern in patterns)
    ]


def _describe(field: str, error: ValidationError) -> str:
    requirement = _requirement(error)
    if requirement is None:
        return f"{field}: {error.message}"
    return f"{field} {requirement} (got {_shown(error.instance)})"


def _requirement(error: ValidationError) -> str | None:
    """What the schema keyword asks for, phrased to follow a field name."""
    keyword, value = error.validator, error.validator_value
    match keyword:
        case "enum":
            return "must be one of " + ", ".join(str(option) for option in value)
        case "const":
            return f"must be {json.dumps(value)}"
        case "type":
            return f"must be of type {value}"
        case "format":
            return f"must be a valid {value}"
        case "pattern":
            return f"must match {value}"
        case "minLength":
            return "must not be empty" if value == 1 else f"must be at least {value} characters"
        case "maxLength":
            return f"must be at most {value} characters"
        case "minimum":
            return f"must be >= {value}"
        case "maximum":
            return f"must be <= {value}"
        case "anyOf" | "oneOf":
            alternatives = [_requirement(sub) for sub in error.context or []]
            if None in alternatives:
                return None
            return " or ".join(alternative for alternative in alternatives if alternative)
    return None


def _shown(instance: Any, limit: int = 80) -> str:
    text = json.dumps(instance)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def claim_image_urls(body: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(field, url)`` for every image a schema-valid claim points at.

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
