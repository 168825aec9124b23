"""Names vulture (the dead-code pass of `make lint`) cannot see used: they are called by a
framework, not by our code. Each line says who uses it."""

# ruff: noqa
from memberledger.bulk.progress import RateColumn
from memberledger.chain.deployment import Deployment
from memberledger.index import decoding, members
from memberledger.pii.commitment import commit_person
from memberledger.settings import reload_settings

RateColumn.render  # rich calls it for every refresh of a progress bar
Deployment.deployer  # written to the manifest (dataclasses.asdict), read by operators
Deployment.compiler_settings  # written to the manifest for block-explorer verification
commit_person  # the commitment of raw personal data: tests and the vectors use it
reload_settings  # tests and benchmarks that set MEMBERLEDGER_* variables in-process
_.caption  # rich.table.Table.caption, drawn under the table
_.forfeited  # ErasureReceipt.forfeited, read by `ape run erase` and the tests
cli  # every scripts/*.py exposes `cli`, which `ape run` calls
_.autocommit  # psycopg's Connection.autocommit, set around the migrations (store/database.py)
exc_type  # the context-manager protocol's __exit__ arguments
tb
# Alembic reads these from every migration in memberledger/store/migrations/versions/.
revision
down_revision
branch_labels
depends_on
downgrade
# click registers these with @cli.command / @group.command (scripts/*.py groups).
tier_command
suspend
reinstate
revoke
update
apply_command
move_command
policy_publish
rewards_list
rewards_set
rewards_retire
multipliers_list
multipliers_set
list_command
fulfil_command
frame  # signal handlers' second argument (scripts/index.py)
decoding.ACTOR_FIELDS  # tests/index/test_decoding.py checks every address field is classified
members.FOLDED_EVENTS  # the events that change an index record, for readers of the index
publish_  # scripts/proofs.py: click subcommands, registered by their decorators
audit_
verify
set_window
log_message  # http.server's hook (bench/zk.py serves the page's files quietly)
# memberledger.chain.local_node: the test suite's leftover-node check (tests/node_watch.py,
# tests/nodes, tests/chain) finds and stops nodes through these.
hardhat_command
running_nodes
leftover_nodes
kill_leftovers
read_archive  # store/retention.py: reads an archive back (the operator's tool; tests)
prune  # scripts/vault.py: a click subcommand, registered by its decorator
copy_to_postgresql  # scripts/vault.py: a click subcommand, registered by its decorator
_.confirmed_at  # RetirableBatch: when the batch was confirmed, as the journal row says
viewed_at  # AccessEntry's fields reach the admin as JSON (memberledger/site/admin_desk.py, asdict)
