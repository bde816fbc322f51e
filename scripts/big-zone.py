#!/usr/bin/env python3
"""Write a master file of N records shaped like a real mail zone, for measuring the memory of
zone loading (issue 12 item 9): per host an A, a TXT (SPF), an MX, a _dmarc TXT and a CNAME.

    scripts/big-zone.py 1000000 > /tmp/big.zone
    /usr/bin/time -v target/release/mailaudit domain host1.big.test --zone /tmp/big.zone
"""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
out = sys.stdout
out.write("$ORIGIN big.test.\n$TTL 3600\n")
out.write("@ SOA ns1.big.test. hostmaster.big.test. 1 7200 3600 1209600 3600\n")
out.write("@ NS ns1.big.test.\n")
written = 2
host = 0
while written < n:
    host += 1
    h = f"host{host}"
    kinds = [
        f"{h} A 192.0.{(host >> 8) & 255}.{host & 255}\n",
        f'{h} TXT "v=spf1 ip4:198.51.100.{host & 255} include:_spf.provider.example ~all"\n',
        f"{h} MX 10 mx{host % 7}.big.test.\n",
        f'_dmarc.{h} TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@{h}.big.test"\n',
        f"www.{h} CNAME {h}.big.test.\n",
    ]
    for line in kinds[: n - written]:
        out.write(line)
    written += len(kinds[: n - written])
