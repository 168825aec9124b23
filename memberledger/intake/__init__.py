"""Reading the operator's files: CSV records by physical line, the enrollment file (checked
and sealed row by row), the rewards file, duplicates across a whole file in bounded memory,
and checking large files on every core.

Modules: `csv_records`, `enrollment_file`, `rewards_file`, `changes_file` (`members apply`),
`duplicates`, `parallel`.
May import: the top-level modules and `pii`. No vault and no chain: a file is judged on its
own here; against the vault and the chain in `bulk.staging`.
"""
