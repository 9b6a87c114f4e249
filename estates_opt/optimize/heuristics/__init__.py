"""Plans beyond the solver's own: a warm start from the LP or from boroughs solved alone
(:mod:`.warmstart`), a neighbourhood search beside HiGHS (:mod:`.neighbourhood`) and
the exchange through which the two trade plans (:mod:`.exchange`)."""
