# Assessment step 1: indicator scores (normalisation).
# For every indicator node (level 0) of the framework, every city and year with a numeric
# observation of the node's indicator in any graph: the normalised score, written to the run's
# named graph with PROV links to the observations it came from. Several observations of one
# (city, indicator, year), from several submissions, are averaged. The statistics of each
# (indicator, year) come from the staging graph (assess-00-statistics, after any outlier
# treatment); a winsorised value (assess-00-winsorise) replaces the city's value, and the score
# keeps the original value and the treated one.
# Normalisation (the framework's csp:normalisation):
#   csp:minMax           100 * (x - min) / (max - min) within (indicator, year) across the
#                        compared cities, inverted where lower is better; 50 when max = min
#   csp:zScore           (x - mean) / standard deviation within (indicator, year), sign
#                        inverted where lower is better; computed on the min-max-rescaled
#                        values (the z-score does not change under that rescaling), with the
#                        standard deviation from the staging graph (the square root of the
#                        variance, assess-00-square-root); 0 when all are equal
#   csp:noNormalisation  the value as it is (inputs that are already scores)
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run: the named graph written
#   ?stage      IRI of the run's staging graph (read)
#   ?framework  IRI of the assessment framework
#   ?year       integer, optional: only this year
# Writes: csp:IndicatorScore nodes with csp:city, csp:refYear, csp:frameworkNode,
#   csp:scoreValue, prov:wasGeneratedBy (the run) and prov:wasDerivedFrom (the observations
#   averaged); csp:originalValue and csp:treatedValue where the value was winsorised.
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX prov:  <http://www.w3.org/ns/prov#>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT {
  GRAPH ?run {
    ?score a csp:IndicatorScore ;
           csp:city ?city ;
           csp:refYear ?year ;
           csp:frameworkNode ?node ;
           csp:scoreValue ?scoreValue ;
           prov:wasGeneratedBy ?run ;
           prov:wasDerivedFrom ?first ;
           csp:originalValue ?original ;
           csp:treatedValue ?treated .
  }
}
WHERE {
  GRAPH ?frameworkGraph {
    ?framework csp:normalisation ?method .
    ?node csp:inFramework ?framework ;
          csp:level 0 ;
          csp:standsFor ?indicator .
  }
  GRAPH ?indicatorGraph { ?indicator csp:direction ?direction . }
  {
    # one row per (indicator, year, city): the mean of its numeric observations and one of
    # them (the others, where there are several, are linked by the next operation)
    SELECT ?indicator ?year ?city (AVG(xsd:double(?raw)) AS ?average) (SAMPLE(?o) AS ?first)
    WHERE {
      GRAPH ?g { ?o csp:indicator ?indicator ; csp:refYear ?year ; csp:value ?raw ;
                    csp:city ?city . }
      FILTER (isNumeric(?raw))
    }
    GROUP BY ?indicator ?year ?city
  }
  GRAPH ?stage {
    ?stat stage:indicator ?indicator ; stage:year ?year ; stage:min ?min ; stage:max ?max ;
          stage:mean ?mean ; stage:scale ?scale ; stage:root ?sd .
  }
  OPTIONAL {
    GRAPH ?stage {
      ?treatment stage:indicator ?indicator ; stage:year ?year ; stage:city ?city ;
                 stage:original ?original ; stage:treatedValue ?treated .
    }
  }
  BIND (COALESCE(?treated, ?average) AS ?value)
  # comparisons inside IF, never bound to a variable (Virtuoso drops rows where a bound
  # comparison is false)
  BIND (IF(?max = ?min, 50.0,
           IF(?direction = csp:higherIsBetter, 100 * (?value - ?min) / xsd:double(?max - ?min),
                       100 * (?max - ?value) / xsd:double(?max - ?min))) AS ?minMaxScore)
  BIND (IF(?sd > 1e-12, xsd:double(?value - ?mean) * ?scale / ?sd, 0.0) AS ?z)
  BIND (IF(?direction = csp:higherIsBetter, ?z, -?z) AS ?zScore)
  BIND (IF(?method = csp:noNormalisation, ?value,
           IF(?method = csp:zScore, ?zScore, ?minMaxScore)) AS ?scoreValue)
  BIND (IRI(CONCAT(STR(?run), "/score/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                     STR(?year))))) AS ?score)
} ;

# Provenance where a (city, indicator, year) has several observations: each indicator score
# was derived from all the observations it averages. Only the (indicator, year) whose
# statistics count more observations than cities are looked at; score IRIs are computed from
# (node, city, year), so each observation finds its score by lookup.
INSERT { GRAPH ?run { ?score prov:wasDerivedFrom ?obs . } }
WHERE {
  GRAPH ?stage {
    ?stat stage:indicator ?indicator ; stage:year ?year ; stage:n ?n ;
          stage:observations ?observations .
  }
  FILTER (?observations > ?n)  # outside the GRAPH block: Oxigraph then applies it first
  GRAPH ?frameworkGraph {
    ?node csp:inFramework ?framework ;
          csp:level 0 ;
          csp:standsFor ?indicator .
  }
  GRAPH ?g { ?obs csp:indicator ?indicator ; csp:refYear ?year ; csp:value ?raw ;
                  csp:city ?city . }
  FILTER (isNumeric(?raw))
  BIND (IRI(CONCAT(STR(?run), "/score/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                     STR(?year))))) AS ?score)
  FILTER EXISTS { GRAPH ?run { ?score csp:scoreValue ?value } }
}
