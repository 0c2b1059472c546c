from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    """A signal one finder found on a claim, before it is weighed (kiosk.risk.scoring).

    `code` is a RiskSignal.Code; `detail` what its words need (JSON); `matched_claim_ids`
    the other claims it was found with, by which a manager's "looks fine" quiets it.
    """

    code: str
    detail: dict = field(default_factory=dict)
    matched_claim_ids: tuple[int, ...] = ()
