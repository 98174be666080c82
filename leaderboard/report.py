"""``nash report``: one self-contained static HTML page (inline CSS, a few lines of inline JS to
sort tables, SVG plots), from data already shaped for it (``ReportInputs``; the harness side
builds them from results files in ``nas_harness.report_data``). Every section is present; one
without data says what would fill it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape

from .plots import Plot, inline_svg


@dataclass
class Cell:
    text: str
    sort: float | str | None = None  # value the column sorts by (default: the text)
    cls: str = ""


@dataclass
class HtmlTable:
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    caption: str = ""


@dataclass
class Group:
    """A titled block of plots (one run, one suite result, one search …)."""

    title: str
    plots: list[Plot]
    note: str = ""
    per_row: int | None = None  # plots per line (e.g. one line per proxy); None: as many as fit


@dataclass
class ReportInputs:
    sources: list[str] = field(default_factory=list)
    leaderboards: list[HtmlTable] = field(default_factory=list)
    not_comparable: list[str] = field(default_factory=list)
    scatters: list[Group] = field(default_factory=list)
    heatmaps: list[Group] = field(default_factory=list)
    sweeps: list[Group] = field(default_factory=list)
    searches: list[Group] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # section → what is missing and how to get it
    notes: dict[str, list[str]] = field(
        default_factory=dict
    )  # section → remarks (e.g. a run without scores file)


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1f24;background:#fff}
header{background:#16324f;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.85}main{padding:8px 28px 40px;max-width:1500px}
nav{margin:10px 0 4px}nav a{margin-right:14px;color:#16324f}
h2{margin:28px 0 8px;border-bottom:2px solid #16324f;padding-bottom:4px;font-size:18px}
h3{margin:18px 0 6px;font-size:15px}
.missing{background:#fff8e1;border-left:4px solid #f0b400;padding:8px 12px;margin:8px 0}
.note{color:#555;font-size:12.5px}.warn{background:#fdecea;border-left:4px solid #d62728;padding:8px 12px}
table.sortable{border-collapse:collapse;margin:6px 0 4px;font-variant-numeric:tabular-nums}
table.sortable th,table.sortable td{border:1px solid #d0d7de;padding:3px 8px;text-align:right;white-space:nowrap}
table.sortable th{background:#eef2f6;cursor:pointer;user-select:none;position:sticky;top:0}
table.sortable th:hover{background:#dde5ee}
table.sortable th[aria-sort=ascending]::after{content:" ▲"}table.sortable th[aria-sort=descending]::after{content:" ▼"}
table.sortable td.l,table.sortable th.l{text-align:left}table.sortable tbody tr:nth-child(even){background:#f8fafc}
td.fallback{color:#9a6700;font-weight:600}td.bad{color:#d62728;font-weight:600}td.good{color:#2ca02c;font-weight:600}td.head{font-weight:700}
caption{caption-side:bottom;text-align:left;color:#555;font-size:12px;padding-top:4px;white-space:pre-line}
.tw{overflow-x:auto;max-width:100%}
.grid{display:flex;flex-wrap:wrap;gap:6px;margin-bottom:6px}
svg{background:#fff;max-width:100%;height:auto}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
"""

# Click a header to sort by that column (numbers by value via data-sort, else text); again to reverse.
JS = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener('click', function () {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var cell = row.cells[col];
        var raw = cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent.trim();
        var num = parseFloat(raw);
        return isNaN(num) ? raw.toLowerCase() : num;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var c = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""

SECTIONS = (
    ("leaderboard", "Leaderboard"),
    ("scatter", "Proxy score vs accuracy"),
    ("heatmap", "Score–score correlation"),
    ("sweep", "Sweeps"),
    ("search", "Search trajectories"),
)


def table_html(t: HtmlTable) -> str:
    left = ' class="l"'
    head = "".join(
        f'<th{left if _left(t, i) else ""} scope="col">{escape(c)}</th>' for i, c in enumerate(t.columns)
    )
    body = []
    for row in t.rows:
        cells = []
        for i, c in enumerate(row):
            attrs = f' data-sort="{escape(str(c.sort))}"' if c.sort is not None else ""
            cls = " ".join(x for x in (c.cls, "l" if _left(t, i) else "") if x)
            cls_attr = f' class="{cls}"' if cls else ""
            cells.append(f"<td{attrs}{cls_attr}>{escape(c.text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"<caption>{escape(t.caption)}</caption>" if t.caption else ""
    return (
        f'<h3>{escape(t.title)}</h3><div class="tw"><table class="sortable">{caption}<thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )


_LEFT = {"proxy", "input", "source", "sig."}


def _left(t: HtmlTable, i: int) -> bool:
    return t.columns[i] in _LEFT


def _groups(groups: list[Group]) -> str:
    out = []
    for i, g in enumerate(groups):
        note = f'<p class="note">{escape(g.note)}</p>' if g.note else ""
        step = g.per_row or max(1, len(g.plots))
        lines = [
            "".join(inline_svg(p, f"{g.title}/{k + j}") for j, p in enumerate(g.plots[k : k + step]))
            for k in range(0, len(g.plots), step)
        ]
        grids = "".join(f'<div class="grid">{line}</div>' for line in lines)
        out.append(
            f"<details{' open' if i < 2 else ''}><summary>{escape(g.title)}</summary>{note}{grids}</details>"
        )
    return "".join(out)


def build_report(data: ReportInputs, title: str = "nas-harness report") -> str:
    """The whole page as one string."""
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>',
        f"<header><h1>{escape(title)}</h1><p>nas-harness · {created} · {len(data.sources)} results files</p></header>",
        "<main><nav>" + "".join(f'<a href="#{k}">{escape(v)}</a>' for k, v in SECTIONS) + "</nav>",
    ]
    content = {
        "leaderboard": "".join(table_html(t) for t in data.leaderboards),
        "scatter": _groups(data.scatters),
        "heatmap": _groups(data.heatmaps),
        "sweep": _groups(data.sweeps),
        "search": _groups(data.searches),
    }
    for key, name in SECTIONS:
        parts.append(f'<section id="{key}"><h2>{escape(name)}</h2>')
        if key == "leaderboard" and data.not_comparable:
            parts.append(
                '<div class="warn"><b>Not comparable:</b> these groups differ in what they measured and are '
                "ranked apart, never against each other. They differ in: <ul>"
                + "".join(f"<li>{escape(line)}</li>" for line in data.not_comparable)
                + "</ul></div>"
            )
        if key == "leaderboard" and data.leaderboards:
            parts.append(
                '<p class="note">Click a column header to sort; # keeps the leaderboard rank and the sig. '
                "marks refer to the ranked order.</p>"
            )
        parts.append(content[key] or f'<div class="missing">{escape(data.missing.get(key, "no data"))}</div>')
        parts += [f'<p class="note">{escape(n)}</p>' for n in data.notes.get(key, [])]
        parts.append("</section>")
    parts.append(
        '<section id="sources"><h2>Files</h2><ul class="note">'
        + "".join(f"<li>{escape(s)}</li>" for s in data.sources)
        + "</ul></section>"
    )
    parts.append(f"</main><script>{JS}</script></body></html>")
    return "".join(parts)
