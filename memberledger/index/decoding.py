"""The two contracts' events, read from their ABIs and decoded by hand.

The catalogue is built from the ABIs the project compiled, so an event added to a contract
is indexed without a line changed here; only what an event *means* for a member's record
(`memberledger.index.members`) or the programme's rules (`memberledger.index.rules`) is
written by hand.

Decoding goes straight from the node's JSON to Python values. Every field of these
contracts' events is a static type (addresses, integers, fixed bytes, booleans), so a field
is a slice of a topic or of a 32-byte data word; each event gets a small decoding function,
generated once from its ABI, that takes exactly those slices. eth_abi's general decoder
costs several times as much per log (`bench/fast_paths.py` measures both), which at a
million logs is much of a catch-up. A field of a dynamic type (a string, `bytes`, an array),
should a contract ever emit one, is decoded by eth_abi.

Each event is stored in compact columns (`memberledger.index.events`): the wallets it is
about (`member`, `member2`, zero addresses left out and noted in `zeros`), up to two other
addresses, up to four numbers (as decimal text: a `uint256` need not fit a database
integer), up to three fixed-size byte strings. `EventSpec` knows which field goes into which
column, and gives the fields back by name when the row is read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from eth_abi.abi import decode as abi_decode

from memberledger.errors import ChainIndexError
from memberledger.hashing import keccak256

#: The contracts an index follows, by the code stored with each event.
CONTRACTS = ("registry", "points")

#: Address fields that name the wallet an event is about: the event is in that member's
#: history. (`Transfer` names two; moving a membership names the old and the new wallet.)
WALLET_FIELDS = frozenset({"member", "from", "to", "old", "oldWallet", "newWallet"})
#: Address fields that name someone who acted, or an account given a role: not a member's
#: history. Every address field of both contracts' events is in one of the two sets
#: (`tests/index/test_decoding.py` names the event to classify when one is added).
ACTOR_FIELDS = frozenset(
    {"by", "issuer", "registrar", "sender", "account", "owner", "spender", "newAdmin"}
)

#: The compact columns of `index_events`, in order. `zeros` is a bit mask of the wallet
#: fields that held the zero address (a mint's `from`), which `member` and `member2` skip.
WALLET_SLOTS = ("member", "member2")
ADDRESS_SLOTS = ("address1", "address2")
NUMBER_SLOTS = ("number1", "number2", "number3", "number4")
BYTES_SLOTS = ("bytes1", "bytes2", "bytes3")
SLOTS = (*WALLET_SLOTS, "zeros", *ADDRESS_SLOTS, *NUMBER_SLOTS, *BYTES_SLOTS)

ZERO_WALLET = "0x" + "00" * 20

#: Decodes (topics, data) as the node gave them into the event's values.
Decoder = Callable[[Sequence[str], str], tuple[Any, ...]]
#: Reads an event's values back from its columns (in the order of `SLOTS`).
ColumnReader = Callable[[Sequence[Any]], tuple[Any, ...]]
#: Makes an event's row from (block, log index, transaction index, values).
RowMaker = Callable[[int, int, int, Sequence[Any]], tuple[Any, ...]]


@dataclass(frozen=True)
class EventField:
    name: str
    type: str
    indexed: bool
    #: Its kind of column: "wallet", "address", "number" or "bytes".
    group: str

    @property
    def dynamic(self) -> bool:
        return self.type in ("string", "bytes") or self.type.endswith("]") or "(" in self.type


@dataclass(frozen=True)
class EventSpec:
    """One event of one contract: its fields, its topic, where its fields are stored."""

    contract: int
    name: str
    fields: tuple[EventField, ...]
    signature: str = field(init=False)
    topic: str = field(init=False)
    positions: dict[str, int] = field(init=False, repr=False, compare=False)
    #: The positions (among the values) of the wallet fields, in field order.
    wallet_positions: tuple[int, ...] = field(init=False, repr=False, compare=False)
    #: (column in SLOTS, is a number) of every other field, in field order.
    placing: tuple[tuple[int, int, bool], ...] = field(init=False, repr=False, compare=False)
    decode_values: Decoder = field(init=False, repr=False, compare=False)
    #: The event's values from its columns (generated, see `values_from`).
    read_columns: ColumnReader = field(init=False, repr=False, compare=False)
    #: The columns (positions in SLOTS) this event's rows can hold a value in: the others
    #: are always NULL (a `Transfer` has 4 of the 12).
    stored_slots: tuple[int, ...] = field(init=False, repr=False, compare=False)
    #: (block, log index, transaction index, values) -> the event's row of `index_events`:
    #: where it is, then `columns(values)` at `stored_slots` (generated, `_row_maker`).
    make_row: RowMaker = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        signature = f"{self.name}({','.join(f.type for f in self.fields)})"
        set_ = object.__setattr__
        set_(self, "signature", signature)
        set_(self, "topic", "0x" + keccak256(signature.encode()).hex())
        set_(self, "positions", {f.name: i for i, f in enumerate(self.fields)})
        set_(
            self,
            "wallet_positions",
            tuple(i for i, f in enumerate(self.fields) if f.group == "wallet"),
        )
        free = {
            "address": list(ADDRESS_SLOTS),
            "number": list(NUMBER_SLOTS),
            "bytes": list(BYTES_SLOTS),
        }
        placing = []
        for position, f in enumerate(self.fields):
            if f.group == "wallet":
                continue
            if not free[f.group]:
                raise ChainIndexError(
                    f"event {self.name} has more {f.group} fields than the index has columns for"
                )
            placing.append((position, SLOTS.index(free[f.group].pop(0)), f.group == "number"))
        if len(self.wallet_positions) > len(WALLET_SLOTS):
            raise ChainIndexError(f"event {self.name} names more wallets than the index keeps")
        set_(self, "placing", tuple(placing))
        set_(self, "decode_values", _decoder(self))
        set_(self, "read_columns", _column_reader(self))
        set_(self, "stored_slots", _stored_slots(self))
        set_(self, "make_row", _row_maker(self))

    @property
    def contract_name(self) -> str:
        return CONTRACTS[self.contract]

    def value(self, values: Sequence[Any], name: str) -> Any:
        """The value of field `name` among the event's `values`."""
        return values[self.positions[name]]

    def has(self, name: str) -> bool:
        return name in self.positions

    def wallets(self, values: Sequence[Any]) -> list[str]:
        """The wallets the event is about (zero addresses left out), in field order."""
        return [values[i] for i in self.wallet_positions if values[i] != ZERO_WALLET]

    def columns(self, values: Sequence[Any]) -> list[str | int | None]:
        """The event's values in the order of `SLOTS` (None where it has nothing)."""
        row: list[str | int | None] = [None] * len(SLOTS)
        stored = zeros = 0
        for bit, position in enumerate(self.wallet_positions):
            wallet = values[position]
            if wallet == ZERO_WALLET:
                zeros |= 1 << bit
            else:
                row[stored] = wallet
                stored += 1
        if zeros:
            row[2] = zeros
        for position, slot, number in self.placing:
            row[slot] = str(int(values[position])) if number else values[position]
        return row

    def values_from(self, columns: Sequence[Any]) -> tuple[Any, ...]:
        """The event's values, in field order, from its columns (in the order of `SLOTS`):
        what `decode_values` gave when the row was written."""
        return self.read_columns(columns)

    def arguments(self, values: Sequence[Any]) -> dict[str, Any]:
        """The event's fields by name."""
        return dict(zip((f.name for f in self.fields), values, strict=True))


class DecodedEvent(NamedTuple):
    """One log, decoded: where it is, what it says (`values`, in the ABI's field order)."""

    block: int
    log_index: int
    tx_index: int
    tx_hash: str
    block_hash: str
    spec: EventSpec
    values: tuple[Any, ...]


#: A `DecodedEvent` from a tuple of its fields, without the named tuple's Python-level
#: `__new__` (a catch-up makes one per log).
_new_event = tuple.__new__


class Catalogue:
    """Every event of the two contracts, found by (contract, topic)."""

    def __init__(
        self, addresses: Sequence[str], abis: Sequence[Iterable[Mapping[str, Any]]]
    ) -> None:
        if len(addresses) != len(CONTRACTS) or len(abis) != len(CONTRACTS):
            raise ValueError(f"a catalogue needs the ABIs of {', '.join(CONTRACTS)}")
        self.addresses = [address.lower() for address in addresses]
        self.specs: dict[tuple[int, str], EventSpec] = {}
        for code, abi in enumerate(abis):
            for item in abi:
                if item.get("type") != "event" or item.get("anonymous"):
                    continue
                spec = event_spec(code, item)
                self.specs[(code, spec.topic)] = spec
        self._by_name = {(spec.contract, spec.name): spec for spec in self.specs.values()}
        #: (address, topic 0) -> spec: one look-up per log.
        self._by_log = {
            (self.addresses[code], topic): spec for (code, topic), spec in self.specs.items()
        }

    @property
    def fingerprint(self) -> str:
        """Changes whenever an event's signature does: an index built under other ABIs is
        rebuilt rather than read with the wrong columns."""
        text = "\n".join(sorted(f"{s.contract}:{s.signature}" for s in self.specs.values()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def spec(self, contract: str, name: str) -> EventSpec | None:
        return self._by_name.get((CONTRACTS.index(contract), name))

    def by_name(self, contract: int, name: str) -> EventSpec | None:
        return self._by_name.get((contract, name))

    def by_names(self) -> dict[tuple[int, str], EventSpec]:
        """(contract code, event name) -> spec, for readers of many rows."""
        return dict(self._by_name)

    def decode(self, log: Mapping[str, Any]) -> DecodedEvent | None:
        """A log as the node gave it (JSON), decoded; None for a log of another contract or
        an event the ABIs do not have."""
        topics = log["topics"]
        if not topics:
            return None
        address = log["address"]
        spec = self._by_log.get((address, topics[0]))
        if spec is None:  # a checksummed address, another contract's log, another event
            spec = self._by_log.get((str(address).lower(), topics[0]))
            if spec is None:
                return None
        try:
            values = spec.decode_values(topics, log["data"])
        except (ValueError, IndexError, TypeError) as exc:
            raise ChainIndexError(
                f"block {int(log['blockNumber'], 16)}, log {int(log['logIndex'], 16)}: "
                f"{spec.name} does not decode ({exc})"
            ) from exc
        return _new_event(
            DecodedEvent,
            (
                int(log["blockNumber"], 16),
                int(log["logIndex"], 16),
                int(log["transactionIndex"], 16),
                log["transactionHash"].lower(),
                log["blockHash"].lower(),
                spec,
                values,
            ),
        )


def event_spec(contract: int, item: Mapping[str, Any]) -> EventSpec:
    """The spec of one ABI event item."""
    fields = []
    for position, entry in enumerate(item.get("inputs", [])):
        name = str(entry.get("name") or f"arg{position}")
        kind = _canonical_type(entry)
        fields.append(EventField(name, kind, bool(entry.get("indexed")), _group(name, kind)))
    return EventSpec(contract, str(item["name"]), tuple(fields))


# ---------------------------------------------------------------------- internals


def _canonical_type(entry: Mapping[str, Any]) -> str:
    kind = str(entry["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in entry.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _group(name: str, kind: str) -> str:
    if kind == "address":
        return "wallet" if name in WALLET_FIELDS else "address"
    if (kind.startswith(("uint", "int")) and not kind.endswith("]")) or kind == "bool":
        return "number"
    return "bytes"


def _word_expression(abi_type: str, word: str, start: int) -> str:
    """Python that turns the 64 hex digits of `word` at `start` into the field's value."""
    end = start + 64
    if abi_type == "address":
        return f"'0x' + {word}[{start + 24}:{end}]"
    if abi_type.startswith("uint") or abi_type == "bool":
        return f"int({word}[{start}:{end}], 16)"
    if abi_type.startswith("int"):
        return f"_signed(int({word}[{start}:{end}], 16))"
    if abi_type.startswith("bytes") and abi_type[5:].isdigit():
        return f"'0x' + {word}[{start}:{start + 2 * int(abi_type[5:])}]"
    return f"'0x' + {word}[{start}:{end}]"  # an indexed dynamic value: its keccak256


def _decoder(spec: EventSpec) -> Decoder:
    """A function taking exactly the slices the event's fields are, generated once per
    event from its ABI (only type names from the ABI and integers go into its source)."""
    if any(f.dynamic and not f.indexed for f in spec.fields):
        return lambda topics, data: _decode_slowly(spec, topics, data)
    parts = []
    topic = word = 0
    for f in spec.fields:
        if f.indexed:
            topic += 1
            parts.append(_word_expression(f.type, f"t[{topic}]", 2))
        else:
            parts.append(_word_expression(f.type, "d", 2 + 64 * word))
            word += 1
    size = 2 + 64 * word
    source = (
        "def decode(t, d):\n"
        f"    if len(d) < {size} or len(t) < {topic + 1}:\n"
        "        raise ValueError('fewer topics or data words than the event has fields')\n"
        f"    return ({''.join(part + ', ' for part in parts)})\n"
    )
    decoder: Decoder = _compiled(
        source, "decode", f"<decoder of {spec.signature}>", _signed=_signed
    )
    return decoder


def _compiled(source: str, name: str, where: str, **names: Any) -> Any:
    """The function `name` that the generated `source` defines, compiled with `names` as its
    globals (`where` names it in tracebacks)."""
    namespace: dict[str, Any] = dict(names)
    exec(compile(source, where, "exec"), namespace)
    return namespace[name]


def _column_reader(spec: EventSpec) -> ColumnReader:
    """`EventSpec.values_from` as one expression per field, generated once per event (a
    fresh index reads every event back when it folds every record at once). The stored
    wallets skip zero ones: the k-th wallet field is in column k minus the zero wallet
    fields before it, and a zero field's bit is set in `zeros` (column 2)."""
    parts = [""] * len(spec.fields)
    for bit, position in enumerate(spec.wallet_positions):
        before = " + ".join(f"(z >> {b} & 1)" for b in range(bit)) or "0"
        parts[position] = f"(ZERO if z >> {bit} & 1 else c[{bit} - ({before})])"
    for position, slot, number in spec.placing:
        parts[position] = f"int(c[{slot}])" if number else f"c[{slot}]"
    source = (
        "def read(c):\n"
        "    z = int(c[2] or 0)\n"
        f"    return ({''.join(part + ', ' for part in parts)})\n"
    )
    reader: ColumnReader = _compiled(
        source, "read", f"<columns of {spec.signature}>", ZERO=ZERO_WALLET
    )
    return reader


def _stored_slots(spec: EventSpec) -> tuple[int, ...]:
    """The columns (in SLOTS) the event's rows can hold a value in, in SLOTS order."""
    wallets = len(spec.wallet_positions)
    held = {*range(wallets), 2} if wallets else set()
    held.update(slot for _, slot, _ in spec.placing)
    return tuple(sorted(held))


def _row_maker(spec: EventSpec) -> RowMaker:
    """`EventSpec.make_row` as straight-line code, generated once per event: the wallets
    without the zero ones, and the bits of those in `zeros` (None when there is none), then
    the other fields (numbers as decimal text), as `EventSpec.columns` places them; only the
    columns of `stored_slots`."""
    slots = ["None"] * len(SLOTS)
    lines = []
    wallets = spec.wallet_positions
    if len(wallets) == 1:
        (first,) = wallets
        lines += [
            f"    w0 = v[{first}]",
            "    m, z = (None, 1) if w0 == ZERO else (w0, None)",
        ]
        slots[0], slots[2] = "m", "z"
    elif len(wallets) == 2:
        first, second = wallets
        lines += [
            f"    w0, w1 = v[{first}], v[{second}]",
            "    if w0 == ZERO:",
            "        m, m2, z = (None, None, 3) if w1 == ZERO else (w1, None, 1)",
            "    else:",
            "        m, m2, z = (w0, None, 2) if w1 == ZERO else (w0, w1, None)",
        ]
        slots[:3] = ["m", "m2", "z"]
    for position, slot, number in spec.placing:
        slots[slot] = f"str(int(v[{position}]))" if number else f"v[{position}]"
    stored = "".join(f"{slots[slot]}, " for slot in spec.stored_slots)
    source = "\n".join(["def row(b, li, ti, v):", *lines, f"    return (b, li, ti, {stored})"])
    maker: RowMaker = _compiled(
        source + "\n", "row", f"<row of {spec.signature}>", ZERO=ZERO_WALLET
    )
    return maker


def _signed(value: int) -> int:
    return value - (1 << 256) if value >> 255 else value


def _topic_value(abi_type: str, word: str) -> Any:
    """The value of an indexed field from its topic ("0x" and 64 hex digits)."""
    if abi_type == "address":
        return "0x" + word[26:]
    if abi_type.startswith("uint") or abi_type == "bool":
        return int(word, 16)
    if abi_type.startswith("int"):
        return _signed(int(word, 16))
    if abi_type.startswith("bytes") and abi_type[5:].isdigit():
        return word[: 2 + 2 * int(abi_type[5:])]
    return word  # an indexed dynamic value: its keccak256


def _decode_slowly(spec: EventSpec, topics: Sequence[str], data: str) -> tuple[Any, ...]:
    unindexed = [f.type for f in spec.fields if not f.indexed]
    decoded = iter(abi_decode(unindexed, bytes.fromhex(data[2:])))
    values: list[Any] = []
    topic = 1
    for f in spec.fields:
        if f.indexed:
            values.append(_topic_value(f.type, topics[topic]))
            topic += 1
            continue
        value = next(decoded)
        if f.type == "address":
            value = str(value).lower()
        elif isinstance(value, bytes):
            value = "0x" + value.hex()
        elif not isinstance(value, int | str):
            value = repr(value)  # an array or a tuple: kept as text, for the history
        values.append(value)
    return tuple(values)
