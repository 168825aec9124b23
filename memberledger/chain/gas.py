"""Gas per batch, batch sizes that fit the per-transaction cap, and fees.

The figures come from `snapshots/gas.json` (kept current by tests/contracts/test_gas.py; a
test checks these constants against it): gas grows linearly with the rows of a batch, so a
fixed part and a part per row predict any batch size. A transaction's gas limit is that
prediction with a margin, never above the cap of 16,777,216 gas per transaction (EIP-7825).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TX_GAS_CAP = 16_777_216
#: Gas limit = predicted gas x this (capped): slack for gas the model does not see.
GAS_MARGIN = 1.25
#: Fee bump for a stuck transaction: a replacement must pay at least 10% more; 12.5% is
#: what geth's pool and most wallets use.
FEE_BUMP = 1.125


@dataclass(frozen=True)
class GasModel:
    """Gas of a batch of `rows` rows: `fixed + per_row * rows`."""

    fixed: int
    per_row: int
    largest_batch: int
    default_batch: int

    def predict(self, rows: int) -> int:
        return self.fixed + self.per_row * rows

    def gas_limit(self, rows: int) -> int:
        return min(TX_GAS_CAP, math.ceil(self.predict(rows) * GAS_MARGIN))

    def calibrated(self, rows: int, measured: int) -> GasModel:
        """The model scaled up if the node measured more for `rows` rows than predicted."""
        predicted = self.predict(rows)
        if measured <= predicted:
            return self
        per_row = math.ceil((measured - self.fixed) / rows)
        return GasModel(self.fixed, per_row, self.largest_batch, self.default_batch)


#: enrollBatch (packed rows, each with consent: MemberEnrolled and ConsentChanged):
#: enroll_batch_1 = 58,574 and enroll_batch_100 = 2,770,057 in the snapshot.
ENROLL_GAS = GasModel(fixed=31_185, per_row=27_389, largest_batch=611, default_batch=600)
#: credit (packed rows), first credit of each member (a zero balance becoming non-zero costs
#: the most): credit_batch_1_first = 111,528 and credit_batch_100_first = 2,896,715.
CREDIT_GAS = GasModel(fixed=83_395, per_row=28_133, largest_batch=590, default_batch=550)


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fees of one transaction, in wei."""

    max_fee: int
    priority_fee: int

    @classmethod
    def for_base_fee(cls, base_fee: int, priority_fee: int) -> Fees:
        """Room for the base fee to double before the transaction is stuck."""
        return cls(2 * base_fee + priority_fee, priority_fee)

    def bumped(self) -> Fees:
        return Fees(
            math.ceil(self.max_fee * FEE_BUMP) + 1, math.ceil(self.priority_fee * FEE_BUMP) + 1
        )

    def at_least(self, other: Fees) -> Fees:
        return Fees(max(self.max_fee, other.max_fee), max(self.priority_fee, other.priority_fee))
