"""What `NodeClient` prints about a node never carries a provider's API key."""

from __future__ import annotations

import pytest

from memberledger.chain.rpc import NodeClient, redacted_url
from memberledger.errors import NodeUnavailable


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://mainnet.infura.io/v3/0123456789abcdef", "https://mainnet.infura.io/…"),
        ("https://user:secret@node.example:8545/", "https://node.example:8545/…"),
        ("https://rpc.example/?apikey=SECRET", "https://rpc.example/…"),
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
    ],
)
def test_redacted_url_keeps_scheme_host_and_port_only(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


def test_unreachable_node_is_named_without_its_key() -> None:
    node = NodeClient("http://127.0.0.1:9/v3/SECRETKEY", patience=0.3, timeout=0.2)

    with pytest.raises(NodeUnavailable) as caught:
        node.block_number()

    assert "SECRETKEY" not in str(caught.value)
    assert "http://127.0.0.1:9/…" in str(caught.value)
