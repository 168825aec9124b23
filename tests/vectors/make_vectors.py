"""Regenerate tests/vectors/commitments.json, the commitment test vectors shared with the
browser: `.venv/bin/python tests/vectors/make_vectors.py`.

The salts are derived from the vector names, so the file only changes when the cases or the
canonical rules do. The JSON is written with every non-ASCII character escaped (\\uXXXX), so
no editor can silently re-normalise the decomposed or fullwidth inputs.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS_PATH = Path(__file__).with_name("commitments.json")
sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from a checkout

from memberledger.pii.canonical import PersonalData, canonical_bytes, canonicalize  # noqa: E402
from memberledger.pii.commitment import COMMITMENT_DOMAIN, commit  # noqa: E402


def fullwidth(text: str) -> str:
    """`text` in fullwidth forms (ASCII ! to ~ shifted to U+FF01.., space to U+3000), as
    East Asian keyboards type it; spelled out because the characters look like ASCII."""
    return "".join(
        "\u3000" if char == " " else chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char
        for char in text
    )


#: (name, full_name, email, phone, birth_date, default_region)
CASES: list[tuple[str, str, str, str, str, str | None]] = [
    ("plain ascii, optional fields empty", "Ada Lovelace", "ada@example.org", "", "", None),
    (
        "extra spaces, capitals, formatted phone",
        "  Ana   DÍAZ ",
        " Ana.Diaz@Example.COM ",
        "+49 151 1234-5678",
        " 1990-02-28 ",
        None,
    ),
    (
        "same person as the previous vector, other spelling",
        "ana díaz",
        "ana.diaz@example.com",
        "+4915112345678",
        "1990-02-28",
        None,
    ),
    (
        "decomposed accents (NFD) compose",
        "Zoe\u0308 A\u030angstro\u0308m",
        "ZOE@EXAMPLE.SE",
        "",
        "1971-12-31",
        None,
    ),
    (
        "CJK name, Japanese mobile",
        "山田 太郎",
        "Taro.Yamada@Example.JP",
        "+81 90-1234-5678",
        "1985-07-01",
        None,
    ),
    (
        "fullwidth letters, ideographic space, fullwidth @ and digits",
        fullwidth("JOHN SMITH"),
        fullwidth("john@example.com"),
        fullwidth("+44 20 7946 0958"),
        "",
        None,
    ),
    (
        "German capital sharp s and umlauts",
        "JÜRGEN GROẞ",
        "Juergen.Gross@Example.DE",
        "",
        "1960-01-01",
        None,
    ),
    ("Greek final sigma when lower-cased", "ΟΔΥΣΣΕΥΣ", "odysseus@example.gr", "", "", None),
    ("Turkish dotted capital I", "İSMAİL", "ismail@example.com.tr", "", "", None),
    (
        "capital + combining mark composes only after lower-casing (second NFKC)",
        "A\u0301NA J\u030cIME\u0301NEZ",
        "ana.jimenez@example.es",
        "",
        "",
        None,
    ),
    (
        "tab, no-break space and newline inside the name",
        "\tMarie\u00a0\u00a0Curie\n",
        "marie.curie@example.fr",
        "+33 6 12 34 56 78",
        "",
        None,
    ),
    ("ligatures fold", "ﬁona ﬂynn", "Fiona@Example.IE", "", "2000-02-29", None),
    ("Arabic name, birth date only", "محمد علي", "m.ali@example.eg", "", "1918-07-18", None),
    (
        "national phone number with default region DE",
        "Hans Meier",
        "hans@example.de",
        "030 1234567",
        "",
        "DE",
    ),
]


#: Vectors that reuse another vector's salt: the same person spelt differently must give the
#: same commitment.
SAME_SALT_AS = {
    "same person as the previous vector, other spelling": "extra spaces, capitals, formatted phone"
}


def salt_for(name: str) -> bytes:
    label = SAME_SALT_AS.get(name, name)
    return hashlib.sha256(b"MemberLedger test vector salt/" + label.encode()).digest()


def build_vectors() -> dict[str, Any]:
    vectors = []
    for name, full_name, email, phone, birth_date, region in CASES:
        raw = PersonalData(full_name, email, phone, birth_date)
        canonical = canonicalize(raw, region)
        encoded = canonical_bytes(canonical)
        salt = salt_for(name)
        vectors.append(
            {
                "name": name,
                "raw": {
                    "full_name": full_name,
                    "email": email,
                    "phone": phone,
                    "birth_date": birth_date,
                },
                "default_region": region,
                "canonical": {
                    "full_name": canonical.full_name,
                    "email": canonical.email,
                    "phone": canonical.phone,
                    "birth_date": canonical.birth_date,
                },
                "canonical_bytes_hex": "0x" + encoded.hex(),
                "salt_hex": "0x" + salt.hex(),
                "commitment_hex": commit(encoded, salt).hex,
            }
        )
    return {
        "description": (
            "MemberLedger commitment test vectors, generated by tests/vectors/make_vectors.py. "
            "canonical_bytes = UTF-8 of full_name, email, phone, birth_date (canonical) joined "
            "by U+001F; commitment = keccak256(domain || salt || canonical_bytes)[0:20]."
        ),
        "commitment_domain": COMMITMENT_DOMAIN.decode("ascii"),
        "vectors": vectors,
    }


def render(vectors: dict[str, Any]) -> str:
    return json.dumps(vectors, indent=2, ensure_ascii=True) + "\n"


def main() -> None:
    VECTORS_PATH.write_text(render(build_vectors()), encoding="utf-8")
    print(f"wrote {len(CASES)} vectors to {VECTORS_PATH}")


if __name__ == "__main__":
    main()
