"""Hashing a claim's photos in the background: the as-taken hash and its seven variants,
against the as-taken hash alone, and against a full decode.

A claim with two 12 MP phone photos, stored as the portal stores them (normalised to at
most IMAGE_MAX_SIDE px, kiosk.services.images). `claim_photos_hash` reads both from
storage and computes their eight pHashes each (kiosk.risk.hashes: as taken, turned,
cropped), decoding each JPEG once at a reduced scale in greyscale (`draft`). Baselines:
the as-taken hash alone (what was stored before the variants), draft-decoded and decoded
in full.
Run: ``python -m bench.photo_hashes`` (not in `python -m bench`'s list, to stay out of
its other benchmarks' way); the result is printed and written to
bench/results/photo_hashes.json.
"""

import functools
import io
import statistics
import time

from bench import harness

NAME = "photo_hashes"
ROUNDS = 20


def run() -> harness.BenchResult:
    harness.setup_django()
    from django.utils import timezone
    from PIL import Image, ImageChops

    from kiosk.models import Claim, PhotoHash
    from kiosk.risk import hashes
    from kiosk.risk.distance import hamming
    from kiosk.services.attachments import attachment_store
    from tests.factories import ClaimFactory
    from tests.images import phone_photo
    from tests.risk_photo_samples import photo

    # One synthetic phone photo, and a real photograph blown up to 12 MP with sensor noise.
    coffee = photo("coffee").resize((4000, 3000), Image.Resampling.BICUBIC)
    coffee = ImageChops.add(coffee, Image.effect_noise(coffee.size, 3).convert("RGB"), offset=-128)
    buffer = io.BytesIO()
    coffee.save(buffer, format="JPEG", quality=95)
    originals = [phone_photo(), buffer.getvalue()]

    claim = ClaimFactory(status=Claim.Status.FILED, submitted_at=timezone.now())
    stored = [attachment_store(claim=claim, kind="item", data=data) for data in originals]
    full_decode = functools.partial(hashes.perceptual_hash, draft=False)

    def timed(photo_hashes) -> list[float]:
        times = []
        original = hashes.photo_hashes
        hashes.photo_hashes = photo_hashes
        try:
            for _ in range(ROUNDS):
                PhotoHash.objects.filter(attachment__claim=claim).delete()
                started = time.perf_counter()
                assert hashes.claim_photos_hash(claim=claim) == 2
                times.append((time.perf_counter() - started) * 1000)
        finally:
            hashes.photo_hashes = original
        return times

    def as_taken_alone(data: bytes) -> dict[int, int]:
        return {PhotoHash.Variant.AS_TAKEN: hashes.perceptual_hash(data)}

    def as_taken_in_full(data: bytes) -> dict[int, int]:
        return {PhotoHash.Variant.AS_TAKEN: full_decode(data)}

    timed(hashes.photo_hashes)  # warm up: imports, the first decode
    variants = timed(hashes.photo_hashes)
    draft, full = timed(as_taken_alone), timed(as_taken_in_full)
    distances = []
    for attachment in stored:
        data = attachment.file.read()
        attachment.file.close()
        distances.append(hamming(hashes.perceptual_hash(data), full_decode(data)))
    data = {
        "photos": [
            {"original_bytes": len(o), "stored": f"{a.width}×{a.height}", "stored_bytes": a.size}
            for o, a in zip(originals, stored, strict=True)
        ],
        "variants_median_ms": statistics.median(variants),
        "variants_max_ms": max(variants),
        "variants_per_photo_ms": statistics.median(variants) / len(stored),
        "as_taken_per_photo_ms": statistics.median(draft) / len(stored),
        "draft_median_ms": statistics.median(draft),
        "draft_max_ms": max(draft),
        "full_median_ms": statistics.median(full),
        "full_max_ms": max(full),
        "speedup": statistics.median(full) / statistics.median(draft),
        "draft_vs_full_distance": distances,
        "rounds": ROUNDS,
    }
    rows = [
        ("stored photos", ", ".join(p["stored"] for p in data["photos"])),
        ("claim_photos_hash, 8 hashes a photo: median", f"{data['variants_median_ms']:.1f} ms"),
        ("claim_photos_hash, 8 hashes a photo: max", f"{data['variants_max_ms']:.1f} ms"),
        (
            "  per photo: 8 hashes / as taken alone",
            f"{data['variants_per_photo_ms']:.1f} / {data['as_taken_per_photo_ms']:.1f} ms",
        ),
        ("as taken alone, draft: median", f"{data['draft_median_ms']:.1f} ms"),
        ("as taken alone, draft: max", f"{data['draft_max_ms']:.1f} ms"),
        ("as taken alone, full decode: median", f"{data['full_median_ms']:.1f} ms"),
        ("as taken alone, full decode: max", f"{data['full_max_ms']:.1f} ms"),
        ("  faster by", f"{data['speedup']:.1f}×"),
        ("draft vs full hash, bits", ", ".join(str(d) for d in distances)),
    ]
    verdict = (
        f"two photos, 8 hashes each, in {data['variants_median_ms']:.0f} ms "
        f"(as taken alone {data['draft_median_ms']:.0f} ms; draft decoding "
        f"{data['speedup']:.1f}× faster than a full decode)"
    )
    return harness.BenchResult(NAME, rows, data, verdict)


if __name__ == "__main__":
    result = run()
    harness.print_result(result)
    harness.write_result(result)
