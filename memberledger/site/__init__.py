"""The member-facing site: what members' browsers talk to.

- `app`: the ASGI application (Starlette): the built page, config.json, the programme's
  stylesheet, logo and privacy policy, and the relay's endpoints.
- `relay`: the gas-free relay: checks a member's signed consent change or redemption and
  sends it with the relay's own account (which holds no role), paying the gas.
- `signed_requests`: what members sign (EIP-712 `ConsentChange`, `RedeemRequest`), reading a
  request's body, normalising signatures.
- `refusals`: the fixed sentence of each refusal code, and logs without secrets.
- `server`: starting and stopping uvicorn with timeouts, caps and graceful shutdown; reading
  the chain's deployment and refusing a relayer that holds a role.
- (programme.toml is read by `memberledger.programme_file`, a top-level module.)

May import: `pii`, `store`, `chain`, `programme`, `programme_file`, `ops`, `index`, `proofs`
and the shared words; nothing outside `memberledger.site`, `cli`, `scripts/relay.py` and
`bench/relay.py` imports from here.
"""
