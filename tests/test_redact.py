"""Every kind of secret the estate's devices write, masked before anything is written: one line per kind, as the
device prints it (Oxidized's models, lib/oxidized/model/{ios,nxos,vrp,comware}.rb `cmd :secret`, are the
reference), and the configuration words that only look like secrets left as they are."""

from __future__ import annotations

import pytest

from cityops.transport import redact

SECRETS = {
    # Huawei VRP
    "vrp local-user hash": ("local-user admin password irreversible-cipher $1a$Ad,e$5/X1Ux$", "$1a$"),
    "vrp reversible cipher": (" snmp-agent community read cipher %^%#Ow*uTj@ZH9W2!N$5v<Y%^%#", "Ow*uTj"),
    "vrp old cipher": (" super password level 15 cipher %$%$K8m.Nt84DZ}e#<0`8bmE3Uw}%$%$", "K8m"),
    "vrp ike psk": ("  pre-shared-key cipher %^%#abcDEF%^%#", "abcDEF"),
    "vrp psk simple": ("  pre-shared-key simple Huawei@123", "Huawei@123"),
    "vrp radius key": (" radius-server shared-key cipher %^%#xyz12%^%#", "xyz12"),
    "vrp community plain": (" snmp-agent community write private", "private"),
    "community in a command line": ("echo 'snmp-agent community read cipher Xy9#secret'", "Xy9#secret"),
    # H3C Comware
    "comware password hash": (" password hash $h$6$Ny5dpgfRfe+I$Fd9Zx==", "Ny5dpg"),
    "comware password cipher": (" password cipher $c$3$abcdEFGH==", "abcdEFGH"),
    "comware key cipher": (" key authentication cipher $c$3$KEYkey==", "KEYkey"),
    "comware snmpv3": (" snmp-agent usm-user v3 ops opsgroup cipher authentication-mode md5 $c$3$aA== "
                       "privacy-mode aes128 $c$3$bB==", "$c$3$"),
    # Cisco IOS
    "ios enable secret": ("enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "hx5rVt7"),
    "ios enable password": ("enable password cisco", "cisco"),
    "ios username": ("username ops privilege 15 secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM",
                     "nhEmQV"),
    "ios type 7": ("tacacs-server key 7 0822455D0A16", "0822455D0A16"),
    "ios community": ("snmp-server community gxjRO2016 RO", "gxjRO2016"),
    "ios key-string": ("  key-string 7 110A1016141D", "110A1016141D"),
    "ios line password": (" password 7 094F471A1A0A", "094F471A1A0A"),
    # Cisco NX-OS (MDS)
    "nxos user": ("username admin password 5 $5$KOLEPA$Fz4rd9dTSMzoC4fr0 role network-admin", "$5$KOLEPA"),
    "nxos snmpv3 des": ("snmp-server user admin auth md5 0x7209f430f7e62c96 priv 0x7209f430f7e62c96 localizedkey",
                        "0x7209"),  # lab-validation's Nexus 9000v 9.2(3): a DES key follows 'priv' directly
    "ios snmpv3 aes 128": ("snmp-server user ops NMS v3 auth sha Auth#Key1 priv aes 128 Priv#Key2", "Priv#Key2"),
    "ios trap host": ("snmp-server host 127.0.5.9 version 2c gxjTrap2016 udp-port 162", "gxjTrap2016"),
    "nxos trap host": ("snmp-server host 127.0.5.9 traps version 2c gxjTrap2016", "gxjTrap2016"),
    "vrp trap host": (" snmp-agent target-host trap address udp-domain 127.0.5.9 params securityname gxjTrap2016 v2c",
                      "gxjTrap2016"),
    "ios ospf md5": ("  ip ospf message-digest-key 1 md5 OspfKey9", "OspfKey9"),
    "vrp ospf plain": ("  ospf authentication-mode md5 1 plain OspfKey9", "OspfKey9"),
    "vrp ospf simple": ("  ospf authentication-mode simple plain OspfKey9", "OspfKey9"),
    "nxos snmpv3": ("snmp-server user admin network-admin auth md5 0x7f629f5b9316839d priv aes-128 0x3c1e0d41 "
                    "localizedkey", "0x"),
    # Brocade FOS configupload settings
    "fos community": ("snmp.snmpv1.0.community:Kmy0fosRO", "Kmy0fosRO"),
    "fos key = value": ("snmp.snmpv3.1.authPassword = Kmy0Auth", "Kmy0Auth"),
    # F5 BIG-IP tmsh `list` (the stanzas' layout from F5's tmsh reference)
    "f5 community": ("            community-name Kmy0F5ro", "Kmy0F5ro"),
    "f5 snmpv3 user": ("    users { ops { auth-password Kmy0Auth privacy-password Kmy0Priv } }", "Kmy0"),
    "f5 ldap bind": ("    bind-pw Kmy0Ldap", "Kmy0Ldap"),
    "f5 key passphrase": ("    passphrase Kmy0Pass", "Kmy0Pass"),
    "f5 user hash": ("    encrypted-password $6$xRz0$Kmy0Hash", "Kmy0Hash"),
    # web-managed appliances' exports (Linux underneath)
    "sha512 crypt": ("admin user secadmin password-hash $6$ab12cd34$Zx9yQw", "ab12cd34$Zx9yQw"),
    # API answers
    "json password": ('{"username": "ops", "password": "Gx@2026!"}', "Gx@2026!"),
}


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_every_kind_of_secret_is_masked(kind):
    line, secret = SECRETS[kind]
    masked = redact.text(line)
    assert secret not in masked, masked
    assert redact.MASK in masked


NOT_SECRETS = [
    "key chain OSPF-KEYS",
    " key 1",
    "service password-encryption",
    "snmp-server group NMS v3 priv read NMS-VIEW",
    "aaa authentication login default group tacacs+ local",
    "interface Vlanif10",
    " description uplink to core (password rotation 2026-06)",
    # lab-validation's IOS and Nexus 9000v listings: routing communities, the password policy, the SSH key size
    " set community 1:2 additive",
    " match community as2_community",
    "ip community-list standard as2_community permit 1:2",
    "no password strength-check",
    "ssh key rsa 2048",
    "snmp-agent community complexity-check disable",
    "echo $1 $2",  # shell positional parameters are not crypt hashes
    "snmp.snmpv1.0.trapRecipient:127.0.0.1",
    "Number of LS = 1",
    "sys crypto key /Common/default.key {",  # tmsh names a key object by its partition path: a name, not the key
]


@pytest.mark.parametrize("line", NOT_SECRETS)
def test_words_that_only_look_like_secrets_stay(line):
    assert redact.text(line) == line


def test_a_configuration_keeps_its_shape_and_loses_only_its_secrets():
    config = ("#\nsysname gxj-dzzw-core01\n#\naaa\n local-user admin password irreversible-cipher $1a$xx$yy$\n"
              " local-user admin service-type ssh\n#\nsnmp-agent community read cipher %^%#q1%^%#\n#\nreturn\n")
    masked = redact.text(config)
    assert masked.splitlines()[:4] == config.splitlines()[:4]
    assert masked.count("\n") == config.count("\n") and masked.endswith("return\n")
    assert "$1a$" not in masked and "q1" not in masked
