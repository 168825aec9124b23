"""Bulk runs: a file of a million rows from CSV to confirmed on chain, exactly once.

The flow is `enrollment.enroll_file` and `rewards.issue_rewards`, each a sequence of steps
from `run` (options, the run's guard, progress, the dry-run estimate, the summary): stage the
checked file (`staging`, with the chain asked in the background by `lookahead`), store and
plan batches in the journal, and send them (`courier`). `gc_easing` keeps Python's garbage
collector out of the way, `progress` draws the bars.
May import: every room below it (`pii`, `store`, `intake`, `chain`) and `programme`.
"""
