#!/usr/bin/env python3
"""Parses Prometheus text exposition from stdin with the Prometheus client library's own parser and prints
every sample as one JSON object per line: {"name", "labels", "value"}, then the families as {"family", "type"}.
Exits non-zero (with the parser's error) when the text does not parse."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
for family in text_string_to_metric_families(text):
    print(json.dumps({"family": family.name, "type": family.type}))
    for sample in family.samples:
        print(json.dumps({"name": sample.name, "labels": sample.labels, "value": sample.value}))
