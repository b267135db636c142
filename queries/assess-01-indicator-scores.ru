# Assessment step 1: indicator scores (normalisation).
# For every indicator node (level 0) of the framework, every city and year with a numeric
# observation of the node's indicator in any graph: the normalised score, written to the run's
# named graph with PROV links to the observations it came from. Several observations of one
# (city, indicator, year), from several submissions, are averaged.
# Normalisation (the framework's csp:normalisation):
#   csp:minMax           100 * (x - min) / (max - min) within (indicator, year) across the
#                        compared cities, inverted where lower is better; 50 when max = min
#   csp:zScore           (x - mean) / standard deviation within (indicator, year), sign
#                        inverted where lower is better; the square root is taken by Newton
#                        iterations on the min-max-rescaled values (SPARQL has no SQRT; the
#                        z-score does not change under that rescaling); 0 when all are equal
#   csp:noNormalisation  the value as it is (inputs that are already scores)
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run: the named graph written
#   ?framework  IRI of the assessment framework
#   ?year       integer, optional: only this year
# Writes: csp:IndicatorScore nodes with csp:city, csp:refYear, csp:frameworkNode,
#   csp:scoreValue, prov:wasGeneratedBy (the run); then prov:wasDerivedFrom (observations).
PREFIX csp:  <https://w3id.org/cityculture/ontology/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>

INSERT {
  GRAPH ?run {
    ?score a csp:IndicatorScore ;
           csp:city ?city ;
           csp:refYear ?year ;
           csp:frameworkNode ?node ;
           csp:scoreValue ?scoreValue ;
           prov:wasGeneratedBy ?run .
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
    SELECT ?indicator ?year (MIN(?v) AS ?min) (MAX(?v) AS ?max) (COUNT(?v) AS ?n)
           (SUM(?v) AS ?sum) (SUM(?v * ?v) AS ?squares)
    WHERE {
      {
        SELECT ?indicator ?year ?c (AVG(xsd:double(?raw)) AS ?v) WHERE {
          GRAPH ?g1 { ?o csp:indicator ?indicator ; csp:refYear ?year ; csp:value ?raw ;
                         csp:city ?c . }
          FILTER (isNumeric(?raw))
        }
        GROUP BY ?indicator ?year ?c
      }
    }
    GROUP BY ?indicator ?year
  }
  {
    SELECT ?indicator ?year ?city (AVG(xsd:double(?raw)) AS ?value) WHERE {
      GRAPH ?g2 { ?o2 csp:indicator ?indicator ; csp:refYear ?year ; csp:value ?raw ;
                     csp:city ?city . }
      FILTER (isNumeric(?raw))
    }
    GROUP BY ?indicator ?year ?city
  }
  BIND (?direction = csp:higherIsBetter AS ?higher)
  BIND (IF(?max = ?min, 50.0,
           IF(?higher, 100 * (?value - ?min) / xsd:double(?max - ?min),
                       100 * (?max - ?value) / xsd:double(?max - ?min))) AS ?minMaxScore)
  # z-score on the min-max rescaled values (variance at most 2500): Newton square root
  BIND (100 / xsd:double(IF(?max = ?min, 1, ?max - ?min)) AS ?scale)
  BIND (xsd:double((?squares - ?sum * ?sum / xsd:double(?n)) / xsd:double(?n)) * ?scale * ?scale AS ?variance)
  BIND ((?variance + 1) / 2.0e0 AS ?r0)
  BIND (IF(?r0 > 0, (?r0 + ?variance / ?r0) / 2.0e0, 0) AS ?r1)
  BIND (IF(?r1 > 0, (?r1 + ?variance / ?r1) / 2.0e0, 0) AS ?r2)
  BIND (IF(?r2 > 0, (?r2 + ?variance / ?r2) / 2.0e0, 0) AS ?r3)
  BIND (IF(?r3 > 0, (?r3 + ?variance / ?r3) / 2.0e0, 0) AS ?r4)
  BIND (IF(?r4 > 0, (?r4 + ?variance / ?r4) / 2.0e0, 0) AS ?r5)
  BIND (IF(?r5 > 0, (?r5 + ?variance / ?r5) / 2.0e0, 0) AS ?r6)
  BIND (IF(?r6 > 0, (?r6 + ?variance / ?r6) / 2.0e0, 0) AS ?r7)
  BIND (IF(?r7 > 0, (?r7 + ?variance / ?r7) / 2.0e0, 0) AS ?r8)
  BIND (IF(?r8 > 0, (?r8 + ?variance / ?r8) / 2.0e0, 0) AS ?r9)
  BIND (IF(?r9 > 0, (?r9 + ?variance / ?r9) / 2.0e0, 0) AS ?r10)
  BIND (IF(?r10 > 0, (?r10 + ?variance / ?r10) / 2.0e0, 0) AS ?r11)
  BIND (IF(?r11 > 0, (?r11 + ?variance / ?r11) / 2.0e0, 0) AS ?r12)
  BIND (IF(?r12 > 1e-12, xsd:double(?value - ?sum / xsd:double(?n)) * ?scale / ?r12, 0.0) AS ?z)
  BIND (IF(?higher, ?z, -?z) AS ?zScore)
  BIND (IF(?method = csp:noNormalisation, ?value,
           IF(?method = csp:zScore, ?zScore, ?minMaxScore)) AS ?scoreValue)
  BIND (IRI(CONCAT(STR(?run), "/score/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                     STR(?year))))) AS ?score)
} ;

# Provenance: each indicator score was derived from the observations it averages. Score IRIs
# are computed from (node, city, year), so each observation finds its score by lookup.
INSERT { GRAPH ?run { ?score prov:wasDerivedFrom ?obs . } }
WHERE {
  GRAPH ?frameworkGraph {
    ?node csp:inFramework ?framework ;
          csp:level 0 ;
          csp:standsFor ?indicator .
  }
  GRAPH ?g { ?obs csp:indicator ?indicator ; csp:refYear ?year ; csp:city ?city . }
  BIND (IRI(CONCAT(STR(?run), "/score/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                     STR(?year))))) AS ?score)
  FILTER EXISTS { GRAPH ?run { ?score csp:scoreValue ?value } }
}
