# Assessment step 0, square roots: one Newton step for every square root being staged.
# SPARQL 1.1 has no SQRT. A standard deviation (assess-00-statistics, assess-00-treated) and a
# skewness (assess-00-outliers) are staged as a radicand x with a first estimate r (x + 1) / 2
# and a step count; each run of this update replaces r by (r + x / r) / 2 where fewer than 12
# steps were made, so the runner repeats it until none is left (12 runs). Twelve steps reach
# the square root to the last digits of a double for every x up to 10^4 (a variance of
# min-max-rescaled values is at most 2500). The steps are separate updates, not a chain of
# BINDs, because a store that expands each BIND where it is used (Virtuoso) would write the
# chain out 2^12 times.
# Parameters: (bound in every WHERE block)
#   ?stage  IRI of the run's staging graph (read and written)
# Writes: stage:root and stage:rootSteps of every node with stage:radicand (staging graph).
PREFIX stage: <https://w3id.org/cityculture/stage/>

DELETE { GRAPH ?stage { ?node stage:root ?root ; stage:rootSteps ?steps . } }
INSERT { GRAPH ?stage { ?node stage:root ?next ; stage:rootSteps ?stepsAfter . } }
WHERE {
  GRAPH ?stage { ?node stage:radicand ?radicand ; stage:root ?root ; stage:rootSteps ?steps . }
  FILTER (?steps < 12)
  BIND (IF(?root > 0, (?root + ?radicand / ?root) / 2.0e0, 0) AS ?next)
  BIND (?steps + 1 AS ?stepsAfter)
}
