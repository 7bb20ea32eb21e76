"""Keep secrets out of everything cityops writes: known secrets and secret-looking config lines."""

from __future__ import annotations

import re
import threading

_KNOWN: set[str] = set()
_LOCK = threading.Lock()
MASK = "******"

# Secrets as the estate's devices write them in configurations and answers. The reference is Oxidized's models
# (lib/oxidized/model/{ios,nxos,vrp,comware}.rb, `cmd :secret`) and RANCID's filters; each kind is in
# tests/test_redact.py. Three layers:
#  1. encodings that are secrets wherever they appear: VRP `%^%#...%^%#` and `%$%$...%$%$` (reversible), VRP
#     irreversible hashes `$1a$...`, Comware `$c$3$...` (reversible) and `$h$6$...`, crypt(3) hashes
#     `$6$salt$hash` (Linux-based appliances, NX-OS `$5$`, IOS `$9$`);
#  2. a keyword, the modifiers that may follow it, then the secret: `password irreversible-cipher X`,
#     `snmp-agent community read cipher X`, `enable secret 5 X`, `tacacs-server key 7 X`, `key authentication
#     cipher X`, `super password level 15 cipher X`, SNMPv3 `auth md5 X priv aes-128 Y`;
#  3. `"password": "x"` and `token=x` in API answers and URLs.
MASK_ENCODED = re.compile(r"%\^%#.*?%\^%#|%\$%\$.*?%\$%\$|\$(?:1[a-d]|c\$3|h\$\d)\$\S+"
                          r"|\$(?:1|2[aby]|5|6|8|9|y)\$[./A-Za-z0-9]{2,}\$[./A-Za-z0-9]\S*")  # crypt(3): $6$salt$hash
SECRET_AFTER = {  # keyword -> the words that may stand between it and the secret ('<n>': any number, a key id)
    "password": "cipher simple hash irreversible-cipher plain encrypted 0 5 6 7 8 9 level",  # nosec B105  # modifier words, not a password
    "password-hash": "",  # nosec B105  # a keyword, not a password
    "passwd": "0 5 7",  # nosec B105  # modifier words, not a password
    "secret": "0 4 5 7 8 9 level",  # nosec B105  # modifier words, not a password
    "community": "read write cipher simple",
    "securityname": "cipher simple",  # VRP/Comware trap hosts: a v1/v2c target's community
    "key": "cipher simple 0 6 7 authentication",
    "key-string": "0 6 7 cipher simple",
    "authentication-key": "0 7 cipher simple md5",
    "message-digest-key": "<n> md5 0 7",
    "server-key": "0 7",
    "shared-key": "cipher simple 0 7",
    "pre-shared-key": "cipher simple 0 6 7 ascii hex",
    "wpa-psk": "ascii hex 0 7",
    # F5 tmsh (`list`): SNMP communities, SNMPv3 users, LDAP binds, key passphrases, stored user hashes
    "community-name": "", "auth-password": "", "privacy-password": "", "bind-pw": "", "passphrase": "",
    "encrypted-password": "",
}
SECRET_AFTER_WORDS = {k: frozenset(v.split()) for k, v in SECRET_AFTER.items()}
SNMP_ONLY = frozenset({"community", "securityname"})  # 'set community 1:2' in a route-map is routing, not a secret
NOT_A_SECRET = frozenset({"chain", "config-key", "generate", "exchange", "pair", "encryption", "mode", "recovery",
                          "strength-check", "complexity-check", "rsa", "dsa", "ecdsa", "ed25519"})
CRYPTO = re.compile(r"(?i)^(?:md5|sha\d*|sha-\d+|des\d*|3des|aes\d*|aes-\d+|hmac-sha\d*|hmac-md5)$")  # auth/priv algorithms
TOKEN = re.compile(r"\S+")
F5_OBJECT = re.compile(r"/[\w.-]+/\S")  # tmsh names objects by partition ('sys crypto key /Common/default.key'): a name
# `key:value` and `key = value` settings whose key names a secret (Brocade FOS's configupload format,
# `snmp.snmpv1.0.community:public`): the whole value
KEY_VALUE = re.compile(r"(?im)^(\s*[\w.-]*(?:community|passw(?:or)?d|secret|psk|sharedkey)[\w.-]*\s*[:=]\s*)(\S[^\n]*?)"
                       r"(\s*)$")
API_SECRET = re.compile(r"(?i)(\"?(?:password|passwd|token|secret)\"?\s*[:=]\s*\"?)([^\s\",}]+)")
# `snmp-server host ADDR [vrf V] [informs|traps] [version 1|2c|3 [auth|noauth|priv]] COMMUNITY ...` (IOS, NX-OS):
# the community sits after the address and its modifiers (Oxidized's ios and nxos models mask it the same way)
SNMP_HOST = re.compile(r"(?i)^(\s*snmp-server host \S+(?: vrf \S+)?(?: informs?| traps?)?"
                       r"(?: version (?:1|2c|3(?: auth| noauth| priv)?))? )(\S+)")


def _is_number(word: str) -> bool:
    return word.isdigit()


def _secret_spans(line: str) -> list[tuple[int, int]]:
    """Where the secrets of one line are: the value after a keyword and its modifiers, the keys after an SNMPv3
    `auth <algorithm>` / `priv [<algorithm> [<bits>]]` (Comware: `authentication-mode` / `privacy-mode`)."""
    tokens = [(m.start(), m.end(), m.group().lower()) for m in TOKEN.finditer(line)]
    spans = []
    first_snmp = next((i for i, t in enumerate(tokens) if "snmp" in t[2]), len(tokens))
    for i, (_s, _e, word) in enumerate(tokens):
        snmp = i > first_snmp  # within an SNMP statement, even one quoted in a command line
        if word in SECRET_AFTER_WORDS:
            if word in SNMP_ONLY and not snmp:
                continue
            modifiers = SECRET_AFTER_WORDS[word]
            j = i + 1
            while j < len(tokens) and (tokens[j][2] in modifiers or ("<n>" in modifiers and _is_number(tokens[j][2]))):
                j += 2 if tokens[j][2] == "level" else 1  # 'level 15'
            if j < len(tokens) and tokens[j][2] not in NOT_A_SECRET and not re.fullmatch(r"\d{1,2}", tokens[j][2]) \
                    and not F5_OBJECT.match(tokens[j][2]):
                spans.append(tokens[j][:2])
        elif word in ("auth", "authentication-mode") and i + 2 < len(tokens) and (
                CRYPTO.match(tokens[i + 1][2]) or (word == "authentication-mode" and tokens[i + 1][2] == "simple")):
            j = i + 2  # SNMPv3 'auth md5 KEY'; VRP OSPF/IS-IS 'authentication-mode md5 1 cipher KEY', 'simple plain KEY'
            if j < len(tokens) and _is_number(tokens[j][2]):
                j += 1
            while j < len(tokens) and tokens[j][2] in ("cipher", "plain", "simple"):
                j += 1
            if j < len(tokens):
                spans.append(tokens[j][:2])
        elif word in ("priv", "privacy-mode") and snmp and any(t[2] in ("auth", "authentication-mode")
                                                               for t in tokens[:i]):
            j = i + 1  # NX-OS prints 'priv KEY' for DES, 'priv aes-128 KEY'; IOS 'priv aes 128 KEY'
            if j < len(tokens) and CRYPTO.match(tokens[j][2]):
                j += 1
                if j < len(tokens) and tokens[j][2] in ("128", "192", "256"):
                    j += 1
            if j < len(tokens):
                spans.append(tokens[j][:2])
    return spans


# A line can hold a secret of layer 2 only if one of its words is one of these: most lines of a configuration
# hold none, and are passed over without being split into words (the backup masks some 100 000 lines a run).
_MAY_HOLD = re.compile(r"(?i)(?<!\S)(?:" + "|".join(re.escape(k) for k in sorted(
    [*SECRET_AFTER, "auth", "authentication-mode", "priv", "privacy-mode", "snmp-server"], key=len, reverse=True))
    + r")(?!\S)")


def _mask_line(line: str) -> str:
    if not _MAY_HOLD.search(line):
        return line
    for start, end in sorted(_secret_spans(line), reverse=True):
        line = line[:start] + MASK + line[end:]
    return SNMP_HOST.sub(lambda m: m.group(1) + (m.group(2) if m.group(2) == MASK else MASK), line)


def register(secret: str) -> None:
    if secret and len(secret) >= 4:
        with _LOCK:
            _KNOWN.add(secret)


def text(value: str) -> str:
    """The text with every registered secret and every secret-looking value masked."""
    if not value:
        return value
    for secret in sorted(_KNOWN, key=len, reverse=True):
        if secret in value:
            value = value.replace(secret, MASK)
    value = MASK_ENCODED.sub(MASK, value)
    value = "".join(_mask_line(ln) for ln in value.splitlines(keepends=True))
    value = KEY_VALUE.sub(lambda m: m.group(1) + MASK + m.group(3), value)
    value = API_SECRET.sub(lambda m: m.group(1) + MASK, value)
    return value


def clean(obj):
    """Redact strings anywhere in a JSON-like structure."""
    if isinstance(obj, str):
        return text(obj)
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    return obj


def _redacting_factory(base):
    """A log record factory: the record's message — and its exception's text — leave it redacted, whatever
    handler or formatter (ours, ansible's, paramiko's, pyinfra's) later writes it."""
    import logging

    def make(*args, **kwargs):
        record = base(*args, **kwargs)
        try:
            record.msg, record.args = text(record.getMessage()), ()
        except Exception:  # a message that cannot even be formatted is logged as it is, redacted as text
            record.msg, record.args = text(str(record.msg)), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = text(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = text(record.stack_info)
        return record

    make._cityops_redacts = True
    return make


def install() -> None:
    """The one redaction filter for what cityops does not write itself: every log record (any logger, any
    handler) and an uncaught exception's traceback. Reports, results, the audit log and backups call `text` and
    `clean` themselves. Safe to call more than once."""
    import logging
    import sys
    import traceback

    factory = logging.getLogRecordFactory()
    if not getattr(factory, "_cityops_redacts", False):
        logging.setLogRecordFactory(_redacting_factory(factory))
    if not getattr(sys.excepthook, "_cityops_redacts", False):
        def hook(kind, value, tb):
            sys.stderr.write(text("".join(traceback.format_exception(kind, value, tb))))

        hook._cityops_redacts = True
        sys.excepthook = hook
