"""Imported at start-up by every Python in the project's venv (through a .pth file that
`make setup` writes), so that plain `ape compile`/`ape test`/`ape run` work with or without
an activated venv:

- py-solc-x finds the solc-js wrapper through SOLCX_BINARY_PATH;
- ape-foundry finds Anvil, which `make` links into the venv's bin folder, on PATH.
"""

import os
import sys

os.environ.setdefault("SOLCX_BINARY_PATH", "@SOLCX_BINARY_PATH@")
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
