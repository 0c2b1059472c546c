"""Risk signals: what makes a submitted claim worth a second look, scored for managers.

Ours alone. Nothing here is sent to OrderProtection, and nothing refuses a claim: the
desk shows the score with its reasons and a manager decides (docs/risk.md).
"""
