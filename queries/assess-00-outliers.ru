# Assessment step 0, outliers: the JRC rule, flagged, and the values staged for winsorisation.
# For every (indicator node, year) of the framework with at least 4 cities: the skewness and
# the kurtosis of the cities' values (e1071 type 2, as COINr and Excel compute them:
#   skewness = n sqrt(n - 1) / (n - 2) * m3 / m2^(3/2)
#   kurtosis = ((n + 1) (n m4 / m2^2 - 3) + 6) (n - 1) / ((n - 2) (n - 3))
# with mk the sum of the k-th powers of the deviations from the mean, from the power sums in
# the staging graph). Where |skewness| > 2 and kurtosis > 3.5 the distribution breaks the rule:
# a csp:OutlierCheck is written to the run graph. Where the framework's csp:outlierTreatment is
# csp:winsorisation, the cities' values of each such (indicator, year) are also staged (value
# and original value) with the framework's csp:winsorisationLimit (5 when not given), for the
# passes of assess-00-winsorise.
# SPARQL has no SQRT: |skewness| > 2 is tested as skewness^2 > 4; the skewness itself is the
# square root of skewness^2 with the sign of m3, staged for the Newton steps of
# assess-00-square-root and written to the check by assess-00-skewness.
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run (written)
#   ?stage      IRI of the run's staging graph (read and written)
#   ?framework  IRI of the assessment framework
#   ?year       integer, optional: only this year
# Writes: csp:OutlierCheck with csp:frameworkNode, csp:refYear, csp:kurtosis,
#   prov:wasGeneratedBy (run graph); stage:breaksRule on the statistics node, stage:radicand,
#   stage:root, stage:rootSteps and stage:sign on the check, and per city
#   stage:member, stage:indicator, stage:year, stage:city, stage:original, stage:value, with
#   stage:limit on the statistics node (staging graph).
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX prov:  <http://www.w3.org/ns/prov#>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT {
  GRAPH ?run {
    ?check a csp:OutlierCheck ;
           csp:frameworkNode ?node ;
           csp:refYear ?year ;
           csp:skewness ?skewness ;
           csp:kurtosis ?kurtosis ;
           prov:wasGeneratedBy ?run .
  }
  GRAPH ?stage {
    ?stat stage:breaksRule "true"^^xsd:boolean .
    ?check stage:radicand ?skew2 ; stage:root ?r0 ; stage:rootSteps 0 ; stage:sign ?sign .
  }
}
WHERE {
  GRAPH ?stage {
    ?stat stage:indicator ?indicator ; stage:year ?year ; stage:n ?count ; stage:sum ?sum1 ;
          stage:squares ?sum2 ; stage:cubes ?sum3 ; stage:fourths ?sum4 .
  }
  # in doubles: a store may keep the sums as decimals (Virtuoso), whose products overflow
  BIND (xsd:double(?sum1) AS ?s1)
  BIND (xsd:double(?sum2) AS ?s2)
  BIND (xsd:double(?sum3) AS ?s3)
  BIND (xsd:double(?sum4) AS ?s4)
  FILTER (?count >= 4)
  GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level 0 ; csp:standsFor ?indicator . }
  BIND (xsd:double(?count) AS ?n)
  BIND (?s1 / ?n AS ?mean)
  BIND (?s2 - ?n * ?mean * ?mean AS ?m2)
  BIND (?s3 - 3 * ?mean * ?s2 + 2 * ?n * ?mean * ?mean * ?mean AS ?m3)
  BIND (?s4 - 4 * ?mean * ?s3 + 6 * ?mean * ?mean * ?s2 - 3 * ?n * ?mean * ?mean * ?mean * ?mean
        AS ?m4)
  FILTER (?m2 > 0)
  BIND (?n * ?n * (?n - 1) / ((?n - 2) * (?n - 2)) * ?m3 * ?m3 / (?m2 * ?m2 * ?m2) AS ?skew2)
  BIND (((?n + 1) * (?n * ?m4 / (?m2 * ?m2) - 3) + 6) * (?n - 1) / ((?n - 2) * (?n - 3))
        AS ?kurtosis)
  FILTER (?skew2 > 4 && ?kurtosis > 3.5)
  BIND ((?skew2 + 1) / 2.0e0 AS ?r0)  # first estimate of the square root
  BIND (IF(?m3 < 0, -1, 1) AS ?sign)
  BIND (IRI(CONCAT(STR(?run), "/outlier-check/", MD5(CONCAT(STR(?node), " ", STR(?year)))))
        AS ?check)
} ;

INSERT {
  GRAPH ?stage {
    ?stat stage:limit ?limit .
    ?member stage:member ?stat ; stage:indicator ?indicator ; stage:year ?year ;
            stage:city ?city ; stage:original ?value ; stage:value ?value .
  }
}
WHERE {
  GRAPH ?fg { ?framework csp:outlierTreatment csp:winsorisation . }
  OPTIONAL { GRAPH ?fg2 { ?framework csp:winsorisationLimit ?setLimit } }
  BIND (COALESCE(?setLimit, 5) AS ?limit)
  {
    SELECT ?stat ?indicator ?year ?city (AVG(xsd:double(?raw)) AS ?value) WHERE {
      GRAPH ?stage { ?stat stage:breaksRule "true"^^xsd:boolean ; stage:indicator ?indicator ;
                           stage:year ?year . }
      GRAPH ?g { ?o csp:indicator ?indicator ; csp:refYear ?year ; csp:value ?raw ;
                    csp:city ?city . }
      FILTER (isNumeric(?raw))
    }
    GROUP BY ?stat ?indicator ?year ?city
  }
  BIND (IRI(CONCAT(STR(?stat), "/", MD5(STR(?city)))) AS ?member)
}
