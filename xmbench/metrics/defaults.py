"""The one seed default of every metric, and why it is 2020.

Every seeded draw in xmbench.metrics (KID subsets, Inception Score shuffles, R-precision candidates and
folds, FD∞ subsets, bootstrap resamples) defaults to `DEFAULT_SEED`, in the functional metrics, the
Metric classes and the Evaluator alike. 2020 is torch-fidelity's `rng_seed` default, so KID and IS with
default arguments draw exactly torch-fidelity's subsets and shuffles. A run (`xmbench run`) passes its
configured seed explicitly, which the result records store.

Example:
    >>> from xmbench.metrics.defaults import DEFAULT_SEED
    >>> DEFAULT_SEED
    2020
"""

#: the seed every metric uses when none is given (torch-fidelity's rng_seed default)
DEFAULT_SEED = 2020
