# Assessment step 0, skewness: the skewness of every outlier check, from its staged root.
# assess-00-outliers stages skewness^2 and the sign of m3 on each csp:OutlierCheck; after the
# Newton steps of assess-00-square-root, the skewness is the sign times the root.
# Parameters: (bound in every WHERE block)
#   ?run    IRI of the assessment run (written)
#   ?stage  IRI of the run's staging graph (read)
# Writes: csp:skewness on every csp:OutlierCheck of the run (run graph).
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT { GRAPH ?run { ?check csp:skewness ?skewness . } }
WHERE {
  GRAPH ?stage { ?check stage:root ?root ; stage:sign ?sign . }
  BIND (?sign * ?root AS ?skewness)
}
