"""The render baseline: the least a renderer can do. json.load the manifest, write one map line
per hashed entry. No checks, no sorting, no quoting.

    python benchmarks/baseline_render.py STATICFILES_JSON OUT [--prefix /static/]
"""

from __future__ import annotations

import argparse
import json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("manifest")
    parser.add_argument("out")
    parser.add_argument("--prefix", default="/static/")
    args = parser.parse_args()
    with open(args.manifest, encoding="utf-8") as stream:
        manifest = json.load(stream)
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("map $uri $baseline_hashed {\n    default 0;\n")
        for hashed in manifest["paths"].values():
            out.write(f'    "{args.prefix}{hashed}" 1;\n')
        out.write("}\n")


if __name__ == "__main__":
    main()
