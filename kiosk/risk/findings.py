from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    """A signal one finder found on a claim, before it is weighed (kiosk.risk.scoring).

    `code` is a RiskSignal.Code; `detail` what its words need (JSON); `matched_claim_ids`
    the other claims it was found with, by which a manager's "looks fine" quiets it.
    `reciprocal`: whether each of those claims finds this one back when assessed again (a
    repeat claimant is found only on the later claim: the earlier one has nothing to learn).
    """

    code: str
    detail: dict = field(default_factory=dict)
    matched_claim_ids: tuple[int, ...] = ()
    reciprocal: bool = True
