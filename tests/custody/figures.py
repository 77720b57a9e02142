#!/usr/bin/python3
"""Turns the figures custody-scan.py appends (--figures FILE, one JSON line
per run; the tests write them to $ACMB_CUSTODY_FIGURES when it is set) into
the Markdown table of docs/security.md.

usage: figures.py FIGURES.jsonl
"""
import json
import sys


def mib(n):
    return "%.1f MiB" % (n / 1048576.0)


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    print("| flow | exit | windows | result: scanned / probes / hits | "
          "exit_group: scanned / probes / hits | scan time |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        cells = []
        secs = 0.0
        for moment in ("result", "exit"):
            m = r["moments"].get(moment)
            if m is None:
                cells.append("not reached")
                continue
            secs += m["seconds"]
            cells.append("%s / %d / **%d**" % (mib(m["bytes_scanned"]),
                                               m["probes"], m["hits"]))
        print("| %s | %s | %d | %s | %s | %.2f s |" % (
            r["label"], r["exit_code"], r["windows"], cells[0], cells[1], secs))


if __name__ == "__main__":
    main()
