"""Settlement: the bank's results for payouts. A paid line completes its payout task in the
case's flow; a failed one reopens the payout; a payout found paid after a revocation opens a
recovery. Above payouts, tasks and recoveries, which it drives."""
