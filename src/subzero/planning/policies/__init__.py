"""Stock-policy science: pure functions over numbers, no database (see docs/policies.md).

Modules (import the one you need; nothing heavy is imported here):

* ``kinds`` — the policy value objects items carry (MakeToOrder, BaseStock, SS, RQ, RS, MinMax).
* ``demand`` — demand distributions (normal, Poisson, negative binomial, pmf tables,
  forecast quantiles) and lead-time demand for fixed or random lead times.
* ``newsvendor``, ``base_stock`` (incl. service targets and lost sales), ``s_S``,
  ``r_Q``, ``eoq`` (EOQ, EOQB, Wagner–Whitin), ``multi_echelon`` (serial Clark–Scarf).
* ``design`` — ``design_policy``: parameterise an item's policy from its demand, lead
  time and costs or service target.
"""
