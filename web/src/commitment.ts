// The browser's copy of memberledger/pii.py and memberledger/commitment.py: the same
// canonical spelling of a member's personal data and the same salted commitment, so a member
// can check the chain's record without their details ever leaving the browser.
// tests/vectors/commitments.json (made by the Python package) is replayed against this module.

import { parsePhoneNumberWithError, ParseError, type CountryCode } from "libphonenumber-js/max";
import { concat, keccak256, stringToBytes, toHex } from "viem";

/** The Unicode White_Space property, spelled out as in pii.WHITE_SPACE (not JS `\s`). */
const SPACE =
  "\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const EDGE_SPACE = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, "gu");
const SPACE_RUN = new RegExp(`[${SPACE}]+`, "gu");
/** local@domain.tld: one "@", a non-empty local part, dot-separated non-empty labels. */
const EMAIL_SHAPE = new RegExp(`^[^@${SPACE}]+@[^@.${SPACE}]+(?:\\.[^@.${SPACE}]+)+$`, "u");
const ISO_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const CONTROL = /\p{Cc}/u;

export const FIELD_SEPARATOR = "\u001f";
export const MAX_EMAIL_LENGTH = 254;
export const MIN_BIRTH_YEAR = 1900;
export const COMMITMENT_DOMAIN = "MemberLedger/commitment/v1";
export const SALT_LENGTH = 32;

export type FieldName = "full_name" | "email" | "phone" | "birth_date" | "salt";

export interface PersonalData {
  full_name: string;
  email: string;
  phone: string;
  birth_date: string;
}

/** One value failed validation; `field` and `reason` match pii.InvalidField. */
export class InvalidField extends Error {
  constructor(
    readonly field: FieldName,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = "InvalidField";
  }
}

/** Rule 1, shared by every field: NFKC, strip, collapse white space to one space. */
export function normalizeText(text: string): string {
  return text.normalize("NFKC").replace(EDGE_SPACE, "").replace(SPACE_RUN, " ");
}

/** Lower-case (full Unicode mapping, final sigma included), then NFKC once more. */
function lower(text: string): string {
  return text.toLowerCase().normalize("NFKC");
}

function checkCharacters(field: FieldName, text: string): void {
  if (CONTROL.test(text)) throw new InvalidField(field, "contains control characters");
  if (!text.isWellFormed()) throw new InvalidField(field, "contains invalid Unicode (a lone surrogate)");
}

export function canonicalFullName(text: string): string {
  const name = lower(normalizeText(text));
  if (!name) throw new InvalidField("full_name", "is empty");
  checkCharacters("full_name", name);
  return name;
}

export function canonicalEmail(text: string): string {
  const email = lower(normalizeText(text));
  if (!email) throw new InvalidField("email", "is empty");
  checkCharacters("email", email);
  if ([...email].length > MAX_EMAIL_LENGTH) {
    throw new InvalidField("email", `longer than ${MAX_EMAIL_LENGTH} characters`);
  }
  if (!EMAIL_SHAPE.test(email)) throw new InvalidField("email", "not a valid e-mail address");
  return email;
}

/** E.164 form of `text` ("" stays ""), judged by libphonenumber's full metadata. */
export function canonicalPhone(text: string, defaultRegion: string | null = null): string {
  const phone = normalizeText(text);
  if (!phone) return "";
  let number;
  try {
    number = parsePhoneNumberWithError(phone, (defaultRegion ?? undefined) as CountryCode | undefined);
  } catch (error) {
    if (error instanceof ParseError && error.message === "INVALID_COUNTRY") {
      throw new InvalidField(
        "phone",
        defaultRegion
          ? `not a phone number (default region ${defaultRegion})`
          : "needs a country code such as +49 (no default region is set)",
      );
    }
    throw new InvalidField("phone", "not a phone number");
  }
  if (number.ext) throw new InvalidField("phone", "extensions are not supported");
  if (!number.isValid()) throw new InvalidField("phone", "not a valid phone number");
  return number.number;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** ISO form of `text` ("" stays ""); only YYYY-MM-DD, a real date from 1900 on, not in the future. */
export function canonicalBirthDate(text: string, today: Date = new Date()): string {
  const value = normalizeText(text);
  if (!value) return "";
  if (!ISO_DATE.test(value)) throw new InvalidField("birth_date", "not a date in the form YYYY-MM-DD");
  const [year, month, day] = value.split("-").map(Number) as [number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new InvalidField("birth_date", "not a real calendar date");
  }
  if (year < MIN_BIRTH_YEAR) throw new InvalidField("birth_date", `before ${MIN_BIRTH_YEAR}`);
  const given = year * 10_000 + month * 100 + day;
  const now = today.getFullYear() * 10_000 + (today.getMonth() + 1) * 100 + today.getDate();
  if (given > now) throw new InvalidField("birth_date", "in the future");
  return value;
}

/** The canonical spelling of `raw`, or InvalidField naming the first bad field. */
export function canonicalize(
  raw: PersonalData,
  defaultRegion: string | null = null,
  today: Date = new Date(),
): PersonalData {
  return {
    full_name: canonicalFullName(raw.full_name),
    email: canonicalEmail(raw.email),
    phone: canonicalPhone(raw.phone, defaultRegion),
    birth_date: canonicalBirthDate(raw.birth_date, today),
  };
}

/** The bytes a commitment hashes: the canonical fields joined by U+001F, as UTF-8. */
export function canonicalBytes(p: PersonalData): Uint8Array {
  return stringToBytes([p.full_name, p.email, p.phone, p.birth_date].join(FIELD_SEPARATOR));
}

/** A 32-byte salt written as 64 hex digits ("0x" optional, spaces ignored). */
export function parseSalt(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "").replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(digits)) {
    throw new InvalidField("salt", "must be 64 hexadecimal characters (0-9, a-f)");
  }
  return Uint8Array.from(digits.match(/../g)!.map((pair) => parseInt(pair, 16)));
}

/** commitment = first 20 bytes of keccak256(domain || salt || canonical), as 0x + 40 hex. */
export function commit(canonical: Uint8Array, salt: Uint8Array): `0x${string}` {
  if (salt.length !== SALT_LENGTH) throw new InvalidField("salt", `must be exactly ${SALT_LENGTH} bytes`);
  const digest = keccak256(concat([stringToBytes(COMMITMENT_DOMAIN), salt, canonical]));
  return digest.slice(0, 42) as `0x${string}`;
}

export interface CommitmentResult {
  canonical: PersonalData;
  canonicalBytesHex: `0x${string}`;
  commitment: `0x${string}`;
}

/** Canonicalise `raw` and commit to it with `salt`; raises InvalidField for invalid data. */
export function commitPerson(
  raw: PersonalData,
  salt: Uint8Array,
  defaultRegion: string | null = null,
  today: Date = new Date(),
): CommitmentResult {
  const canonical = canonicalize(raw, defaultRegion, today);
  const bytes = canonicalBytes(canonical);
  return { canonical, canonicalBytesHex: toHex(bytes), commitment: commit(bytes, salt) };
}
