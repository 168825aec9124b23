"""The member-facing site: what members' browsers talk to.

- `app`: the ASGI application (Starlette): the built page, config.json, the programme's
  stylesheet, logo and privacy policy, and the relay's endpoint.
- `relay`: the gas-free relay: checks a member's signed change and sends it with the relay's
  own account (which holds no role), paying the gas.
- `server`: starting and stopping uvicorn with timeouts, caps and graceful shutdown; reading
  the chain's deployment and refusing a relayer that holds a role.
- (programme.toml is read by `memberledger.programme_file`, a top-level module.)

May import: `pii`, `store`, `chain`, `programme`, `programme_file`, `ops` and the shared
words; nothing outside `memberledger.site`, `cli` and `scripts/relay.py` imports from here.
"""
