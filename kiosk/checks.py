from django.conf import settings
from django.core import checks
from django.core.files.storage import default_storage
from django.core.files.storage.filesystem import FileSystemStorage


@checks.register(checks.Tags.compatibility)
def check_public_media_base_url(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Outside DEBUG, local files need PUBLIC_MEDIA_BASE_URL to become fetchable URLs."""
    if settings.DEBUG or settings.PUBLIC_MEDIA_BASE_URL:
        return []
    if not isinstance(default_storage, FileSystemStorage):
        return []
    return [
        checks.Error(
            "PUBLIC_MEDIA_BASE_URL is not set.",
            hint="Set it to the public https:// address that serves MEDIA_URL, so that "
            "OrderProtection can fetch photos and signatures.",
            id="kiosk.E001",
        )
    ]


@checks.register()
def check_delivery_stuck_after(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A claim must not count as stuck while its request may still be running."""
    longest_request = (
        settings.ORDERPROTECTION_CONNECT_TIMEOUT + settings.ORDERPROTECTION_READ_TIMEOUT
    )
    if longest_request < settings.DELIVERY_STUCK_AFTER:
        return []
    return [
        checks.Error(
            f"DELIVERY_STUCK_AFTER ({settings.DELIVERY_STUCK_AFTER:g} s) must be longer than "
            f"the longest request ({longest_request:g} s).",
            hint="Raise DELIVERY_STUCK_AFTER, or lower the OrderProtection timeouts; otherwise "
            "recover_deliveries could requeue a claim that is still being sent.",
            id="kiosk.E002",
        )
    ]


@checks.register()
def check_counter_deadline(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """The counter should wait for any answer a worker would wait for."""
    if settings.DELIVERY_COUNTER_DEADLINE >= settings.ORDERPROTECTION_READ_TIMEOUT:
        return []
    return [
        checks.Warning(
            f"DELIVERY_COUNTER_DEADLINE ({settings.DELIVERY_COUNTER_DEADLINE:g} s) is shorter "
            f"than ORDERPROTECTION_READ_TIMEOUT ({settings.ORDERPROTECTION_READ_TIMEOUT:g} s).",
            hint="An answer that comes after the counter's deadline but within the read timeout "
            "becomes an unknown outcome, looked up later, where a worker would have had it. "
            "Raise the deadline or lower the read timeout.",
            id="kiosk.W003",
        )
    ]


@checks.register()
def check_issue_types_by_category(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Each category's issue types are the API's, and none is empty."""
    from kiosk.choices import IssueType

    errors = []
    for category, types in settings.ISSUE_TYPES_BY_CATEGORY.items():
        unknown = [value for value in types if value not in IssueType.values]
        if unknown or not types:
            errors.append(
                checks.Error(
                    f"The issue types for {category} claims are {types!r}: "
                    + (f"{', '.join(unknown)} not the API's." if unknown else "none."),
                    hint=f"Use some of {', '.join(IssueType.values)} "
                    f"({category}_CLAIM_ISSUE_TYPES).",
                    id="kiosk.E004",
                )
            )
    return errors


@checks.register()
def check_risk_weights(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Every risk signal has a weight, and every weight names a signal."""
    from kiosk.models import RiskSignal

    missing = sorted(set(RiskSignal.Code.values) - set(settings.RISK_WEIGHTS))
    unknown = sorted(set(settings.RISK_WEIGHTS) - set(RiskSignal.Code.values))
    negative = sorted(code for code, weight in settings.RISK_WEIGHTS.items() if weight < 0)
    if not (missing or unknown or negative):
        return []
    problems = [
        f"{label}: {', '.join(codes)}"
        for label, codes in (
            ("no weight", missing),
            ("no such signal", unknown),
            ("below 0", negative),
        )
        if codes
    ]
    return [
        checks.Error(
            f"RISK_WEIGHTS: {'; '.join(problems)}.",
            hint=f"The signals are {', '.join(RiskSignal.Code.values)}; a weight is 0 or more "
            "(0 shows the signal and never counts it).",
            id="kiosk.E005",
        )
    ]
