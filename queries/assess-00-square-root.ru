# Assessment step 0, square roots: one Newton step for every square root being staged.
# SPARQL 1.1 has no SQRT. A standard deviation (assess-00-statistics, assess-00-treated) and a
# skewness (assess-00-outliers) are staged as a radicand x with a first estimate r (x + 1) / 2
# and a step count; each run of this update replaces r by (r + x / r) / 2 where fewer than
# ?newtonSteps steps were made, so the runner runs it ?newtonSteps times. The steps are separate updates,
# not a chain of BINDs, because a store that expands each BIND where it is used (Virtuoso)
# would write the chain out 2^?newtonSteps times.
# Parameters: (bound in every WHERE block)
#   ?stage       IRI of the run's staging graph (read and written)
#   ?newtonSteps integer: how many steps every root gets (the runner's NEWTON_STEPS, 12)
# Writes: stage:root and stage:rootSteps of every node with stage:radicand (staging graph).
PREFIX stage: <https://w3id.org/cityculture/stage/>

DELETE { GRAPH ?stage { ?node stage:root ?root ; stage:rootSteps ?steps . } }
INSERT { GRAPH ?stage { ?node stage:root ?next ; stage:rootSteps ?stepsAfter . } }
WHERE {
  GRAPH ?stage { ?node stage:radicand ?radicand ; stage:root ?root ; stage:rootSteps ?steps . }
  FILTER (?steps < ?newtonSteps)
  BIND (IF(?root > 0, (?root + ?radicand / ?root) / 2.0e0, 0) AS ?next)
  BIND (?steps + 1 AS ?stepsAfter)
}
