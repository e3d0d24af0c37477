"""Verifies tokens minted by jwtlens with PyJWT, an independent implementation.

Usage: verify_minted.py KEYS_DIR TOKEN... ; prints one line per token and exits non-zero
if any token fails to verify.
"""

import json
import pathlib
import sys

import jwt
from jwt.algorithms import get_default_algorithms

keys_dir = pathlib.Path(sys.argv[1])
jwks = {key["kid"]: key for key in json.loads((keys_dir / "test-keys.jwks.json").read_text())["keys"]}
hmac_secret = (keys_dir / "test-hmac.secret").read_text().strip()
algorithms = get_default_algorithms()

failed = 0
for token in sys.argv[2:]:
    header = jwt.get_unverified_header(token)
    alg = header["alg"]
    if alg.startswith("HS"):
        key = hmac_secret
    else:
        jwk = jwks[header["kid"]]
        key = algorithms[alg].from_jwk(json.dumps(jwk))
    try:
        claims = jwt.decode(token, key, algorithms=[alg], options={"verify_aud": False})
        print(f"ok {alg} {header['kid']} sub={claims.get('sub')}")
    except Exception as err:  # noqa: BLE001 - report every failure
        failed += 1
        print(f"FAILED {alg}: {err}")
sys.exit(1 if failed else 0)
