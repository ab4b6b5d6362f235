"""A contact sheet of ``bench/classic_large.py`` results: one row per photo, one column per
candidate, each captioned with its wall time and report objective.

    python bench/starts_sheet.py --out docs/classic-1080-starts.png results-1.json ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.compare import Cell, contact_sheet  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="classic_large.py --json files")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cell-width", type=int, default=540)
    args = parser.parse_args(argv)
    cells, columns = [], 0
    for path in args.results:
        record = json.loads(path.read_text())
        rows = [row for row in record["rows"] if "wall_seconds" in row]
        columns = max(columns, len(rows))
        for row in rows:
            cells.append(Cell(images.load_image(row["image"]),
                              f"{record.get('pair', path.stem)}\n{row['candidate']}: "
                              f"{row['wall_seconds']:.0f} s, objective "
                              f"{row.get('report_objective', float('nan')):,.0f}"))
    images.save_png(contact_sheet(cells, columns, cell_width=args.cell_width), args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
