"""The report page's stylesheet: screen, and print on A4 with a page per section."""

__all__ = ["CSS"]

_SCREEN = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
color:#1b1b1b;background:#f6f7f9;line-height:1.45}
header{background:#12355b;color:#fff;padding:18px 32px 10px}
header h1{margin:0 0 6px;font-size:26px}
.status{margin:0 0 10px;font-size:14px;opacity:.95}
nav a{color:#cfe3ff;margin-right:14px;font-size:13px;text-decoration:none}
main{padding:8px 32px 40px;max-width:1300px}
section{background:#fff;border-radius:8px;padding:14px 20px;margin:16px 0;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:20px;margin:4px 0 12px;color:#12355b}
h3{font-size:15px;margin:16px 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:12px}
.card{border:1px solid #dde3ea;border-left:6px solid #8aa1b8;border-radius:6px;padding:10px 12px}
.card.met{border-left-color:#2ca02c}.card.short{border-left-color:#d62728}
.card .label{font-size:13px;color:#555}.card .value{font-size:24px;font-weight:600}
.card .note{font-size:12px;color:#555}
img.map,img.chart{max-width:100%;height:auto;display:block;margin:6px 0}
.caption{font-size:12px;color:#555}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #e3e7ec;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f6}td.num,th.num{text-align:right;white-space:nowrap}td.id{white-space:nowrap}
caption{text-align:left;font-weight:600;font-size:13px;padding:4px 0;color:#12355b}
"""

_PRINT = """
@page{size:A4;margin:14mm 12mm}
@media print{
body{background:#fff;font-size:11pt}
header{background:none;color:#000;padding:0 0 6px;border-bottom:2px solid #12355b}
nav{display:none}
main{padding:0;max-width:none}
section{box-shadow:none;border-radius:0;padding:0;margin:0;break-before:page}
section#headline{break-before:avoid}
h2,h3,caption{break-after:avoid}
tr,img,.card{break-inside:avoid}
thead{display:table-header-group}
img.map,img.chart{max-height:240mm}
a{color:inherit;text-decoration:none}
}
"""

CSS = _SCREEN + _PRINT
"""Every rule of the page, screen first."""
