"""Imported at start-up by every Python in the project's venv (through a .pth file that
`make setup` writes), so that plain `ape compile`/`ape test`/`ape run` work with or without
an activated venv:

- py-solc-x finds the solc-js wrapper through SOLCX_BINARY_PATH;
- ape-foundry finds Anvil, which `make` links into the venv's bin folder, on PATH;
- `ethereum:local:foundry` means the node at MEMBERLEDGER_NODE_HOST (`make node`; default
  http://127.0.0.1:8545) when one runs there, and a throw-away Anvil started there otherwise
  (ape-config.yaml reads MEMBERLEDGER_NODE_HOST; `make test` sets it to `auto`, a random free
  port per session, so tests never touch a developer's persistent node). The setting comes
  from the environment, else from the project's .env, read by memberledger.settings like
  every other setting.
"""

import os
import sys

os.environ.setdefault("SOLCX_BINARY_PATH", "@SOLCX_BINARY_PATH@")
if "MEMBERLEDGER_NODE_HOST" not in os.environ:
    _node_host = "http://127.0.0.1:8545"
    if os.path.isfile(".env"):  # only then is the package worth importing at start-up
        try:
            from memberledger.settings import read_settings

            _node_host = read_settings().node_host
        except Exception:  # the package not installed yet (make setup): the default
            pass
    os.environ["MEMBERLEDGER_NODE_HOST"] = _node_host
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
