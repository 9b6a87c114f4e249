"""Loaders for public data an analyst already holds, into MODEL.md tables.

Each loader reads one published file and returns a :class:`pandas.DataFrame` in the
column layout of MODEL.md section 1 (``sites`` or ``zones``), plus a few extra
columns that keep the source's own fields (``ods_code``, ``site_type``, ...).
What a source does not publish is left as ``NaN`` and named in the loader's
docstring; fill it before :meth:`estates_opt.Instance.from_frames` (the sample
builders in :mod:`estates_opt.datasets` show one way).

- :func:`read_eric_sites`: NHS ERIC site-level returns (2013/14 to 2016/17 layouts).
- :func:`read_epraccur`: NHS ODS ``epraccur`` GP practice list, joined to coordinates.
- :func:`read_nhs_choices_sites`: NHS Choices / NHS.UK GP or hospital feeds.
- :func:`read_population_points`: ONS population-weighted centroids with population.
- :func:`read_income_deciles`: IoD2019 income-domain deciles per LSOA 2011.
- :func:`read_gp_list_sizes`: registered patients per GP practice (NHS Digital).
- :func:`read_postcode_points`: OS Code-Point Open postcode positions.
- :func:`read_msoa_median_prices`, :func:`read_house_price_index`: Land Registry
  prices (GLA MSOA medians, UK HPI).
- :func:`read_sitrep_beds`: general and acute beds per trust (NHS England sitrep).
"""

from __future__ import annotations

from estates_opt.sources.beds import read_sitrep_beds
from estates_opt.sources.epraccur import read_epraccur
from estates_opt.sources.eric import read_eric_sites
from estates_opt.sources.gp_patients import read_gp_list_sizes
from estates_opt.sources.house_prices import read_house_price_index, read_msoa_median_prices
from estates_opt.sources.nhs_choices import read_nhs_choices_sites
from estates_opt.sources.ons import read_income_deciles, read_population_points
from estates_opt.sources.postcodes import normalise_postcode, read_postcode_points

__all__ = [
    "normalise_postcode",
    "read_epraccur",
    "read_eric_sites",
    "read_gp_list_sizes",
    "read_house_price_index",
    "read_income_deciles",
    "read_msoa_median_prices",
    "read_nhs_choices_sites",
    "read_population_points",
    "read_postcode_points",
    "read_sitrep_beds",
]
