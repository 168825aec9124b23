"""MemberLedger: membership and loyalty on Ethereum.

Personal data stays off-chain in an encrypted vault; the chain only ever sees a salted
commitment to it, the member's consent flags and tier.
"""

__version__ = "0.1.0"
