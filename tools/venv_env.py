"""Imported at start-up by every Python in the project's venv (through a .pth file that
`make setup` writes), so that plain `ape compile`/`ape test`/`ape run` work with or without
an activated venv:

- py-solc-x finds the solc-js wrapper through SOLCX_BINARY_PATH;
- ape-foundry finds Anvil, which `make` links into the venv's bin folder, on PATH;
- `ethereum:local:foundry` means the node on 127.0.0.1:8545 (`make node`) when one runs there,
  and a throw-away Anvil started on that port otherwise (ape-config.yaml reads
  MEMBERLEDGER_NODE_HOST; `make test` sets it to `auto`, a random free port per session, so
  tests never touch a developer's persistent node).
"""

import os
import sys

os.environ.setdefault("SOLCX_BINARY_PATH", "@SOLCX_BINARY_PATH@")
os.environ.setdefault("MEMBERLEDGER_NODE_HOST", "http://127.0.0.1:8545")
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
