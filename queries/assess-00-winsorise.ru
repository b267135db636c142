# Assessment step 0, winsorisation: one pass (the runner repeats it up to the largest limit).
# For every (indicator, year) staged by assess-00-outliers whose values still break the JRC
# rule (|skewness| > 2 and kurtosis > 3.5, e1071 type 2 as in COINr, from the deviations from
# the mean of the current values) and of which fewer points than its limit have been treated:
# the most extreme value(s) on the side of the skew (the maximum where the skewness is >= 0,
# else the minimum), ties included, are set to the next value (COINr's winsorise()).
# Parameters: (bound in every WHERE block)
#   ?stage  IRI of the run's staging graph (read and written)
# Writes: stage:value of the treated points (staging graph).
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

DELETE { GRAPH ?stage { ?member stage:value ?extreme . } }
INSERT { GRAPH ?stage { ?member stage:value ?next . } }
WHERE {
  {
    SELECT ?stat (COUNT(?v) AS ?count) (MAX(?v) AS ?max) (MIN(?v) AS ?min)
           (SUM(?d * ?d) AS ?m2) (SUM(?d * ?d * ?d) AS ?m3) (SUM(?d * ?d * ?d * ?d) AS ?m4)
           (SUM(IF(?v != ?original, 1, 0)) AS ?treated)
    WHERE {
      {
        SELECT ?stat (AVG(?v0) AS ?mean) WHERE {
          GRAPH ?stage { ?m0 stage:member ?stat ; stage:value ?v0 . }
        }
        GROUP BY ?stat
      }
      GRAPH ?stage { ?m1 stage:member ?stat ; stage:value ?v ; stage:original ?original . }
      BIND (?v - ?mean AS ?d)
    }
    GROUP BY ?stat
  }
  GRAPH ?stage { ?stat stage:limit ?limit . }
  FILTER (?count >= 4 && ?treated < ?limit && ?m2 > 0)
  BIND (xsd:double(?count) AS ?n)
  BIND (?n * ?n * (?n - 1) / ((?n - 2) * (?n - 2)) * ?m3 * ?m3 / (?m2 * ?m2 * ?m2) AS ?skew2)
  BIND (((?n + 1) * (?n * ?m4 / (?m2 * ?m2) - 3) + 6) * (?n - 1) / ((?n - 2) * (?n - 3))
        AS ?kurtosis)
  FILTER (?skew2 > 4 && ?kurtosis > 3.5)
  {
    # the next value below the maximum and above the minimum
    SELECT ?stat (MAX(IF(?w < ?top, ?w, ?bottom)) AS ?belowTop)
           (MIN(IF(?w > ?bottom, ?w, ?top)) AS ?aboveBottom)
    WHERE {
      {
        SELECT ?stat (MAX(?w0) AS ?top) (MIN(?w0) AS ?bottom) WHERE {
          GRAPH ?stage { ?m2node stage:member ?stat ; stage:value ?w0 . }
        }
        GROUP BY ?stat
      }
      GRAPH ?stage { ?m3node stage:member ?stat ; stage:value ?w . }
    }
    GROUP BY ?stat
  }
  BIND (IF(?m3 >= 0, ?max, ?min) AS ?extreme)
  BIND (IF(?m3 >= 0, ?belowTop, ?aboveBottom) AS ?next)
  GRAPH ?stage { ?member stage:member ?stat ; stage:value ?extreme . }
}
