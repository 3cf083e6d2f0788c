"""The defaults every metric shares: the seed (and why it is 2020), the bootstrap resamples and the CI level.

Every seeded draw in xmbench.metrics (KID subsets, Inception Score shuffles, R-precision candidates and
folds, FD∞ subsets, bootstrap resamples) defaults to `DEFAULT_SEED`, in the functional metrics, the
Metric classes and the Evaluator alike. 2020 is torch-fidelity's `rng_seed` default, so KID and IS with
default arguments draw exactly torch-fidelity's subsets and shuffles. A run (`xmbench run`) passes its
configured seed explicitly, which the result records store.

Confidence intervals of every metric, text -> image and image -> text, come from `DEFAULT_RESAMPLES`
bootstrap resamples of the evaluated samples at level `DEFAULT_CONFIDENCE`, unless a run says otherwise.

Example:
    >>> from xmbench.metrics.defaults import DEFAULT_SEED
    >>> DEFAULT_SEED, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE
    (2020, 1000, 0.95)
"""

#: the seed every metric uses when none is given (torch-fidelity's rng_seed default)
DEFAULT_SEED = 2020
#: bootstrap resamples behind every confidence interval (0 disables CIs)
DEFAULT_RESAMPLES = 1000
#: two-sided confidence level of every interval
DEFAULT_CONFIDENCE = 0.95
