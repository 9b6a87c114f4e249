"""Reports of a plan for an estates board: HTML page, Excel workbook, GeoPackage.

Needs the ``report`` extra (matplotlib, openpyxl)::

    import estates_opt as eo
    from estates_opt.report import write_excel, write_geopackage, write_html

    plan = eo.solve(eo.read_instance("data/ncl_pilot"))
    write_html(plan, "out/report.html")          # or plan.to_html("out/report.html")
    write_excel("out/ncl", "out/ncl/plan.xlsx")  # from an ``estates-opt solve`` folder
"""

from estates_opt.report.data import CATEGORIES, ReportData, load_boroughs
from estates_opt.report.excel import write_excel
from estates_opt.report.geopackage import write_geopackage
from estates_opt.report.html import Section, render_html, table_html, write_html
from estates_opt.report.notebook import explore_plan, plot_plan

__all__ = [
    "CATEGORIES",
    "ReportData",
    "Section",
    "explore_plan",
    "load_boroughs",
    "plot_plan",
    "render_html",
    "table_html",
    "write_excel",
    "write_geopackage",
    "write_html",
]
