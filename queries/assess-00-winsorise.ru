# Assessment step 0, winsorisation: one pass (the runner repeats it up to the largest limit).
# For every (indicator, year) staged by assess-00-outliers whose values still break the JRC
# rule (|skewness| > 2 and kurtosis > 3.5, e1071 type 2 as in COINr, from the deviations from
# the mean of the current values) and of which fewer points than its limit have been treated:
# the most extreme value(s) on the side of the skew (the maximum where the skewness is >= 0,
# else the minimum), ties included, are set to the next value (COINr's winsorise()).
# Parameters: (bound in every WHERE block)
#   ?stage  IRI of the run's staging graph (read and written)
# The pass is five small operations rather than one nested query (Virtuoso 7.2 fails to
# compile the nested form): the current mean, maximum and minimum of each staged (indicator,
# year); the extreme value and its replacement where the rule is still broken; the
# replacement; the working values removed.
# Writes: stage:value of the treated points (staging graph); stage:currentMean, stage:top,
#   stage:bottom, stage:extreme and stage:next during the pass, removed at its end.
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT { GRAPH ?stage { ?stat stage:currentMean ?mean ; stage:top ?top ; stage:bottom ?bottom . } }
WHERE {
  SELECT ?stat (AVG(xsd:double(?v)) AS ?mean) (MAX(?v) AS ?top) (MIN(?v) AS ?bottom) WHERE {
    GRAPH ?stage { ?member stage:member ?stat ; stage:value ?v . }
  }
  GROUP BY ?stat
} ;

INSERT { GRAPH ?stage { ?stat stage:extreme ?extreme ; stage:next ?next . } }
WHERE {
  {
    # in doubles: a store may keep the values as decimals (Virtuoso), whose powers overflow
    SELECT ?stat (COUNT(?v) AS ?count) (SUM(?d * ?d) AS ?m2) (SUM(?d * ?d * ?d) AS ?m3)
           (SUM(?d * ?d * ?d * ?d) AS ?m4) (SUM(IF(?v != ?original, 1, 0)) AS ?treated)
           (MAX(IF(?v < ?top, ?v, ?bottom)) AS ?belowTop)
           (MIN(IF(?v > ?bottom, ?v, ?top)) AS ?aboveBottom)
    WHERE {
      GRAPH ?stage {
        ?stat stage:currentMean ?mean ; stage:top ?top ; stage:bottom ?bottom .
        ?member stage:member ?stat ; stage:value ?v ; stage:original ?original .
      }
      # both cast: Virtuoso refuses arithmetic on the decimals it stored, under an aggregate
      BIND (xsd:double(?v) - xsd:double(?mean) AS ?d)
    }
    GROUP BY ?stat
  }
  GRAPH ?stage { ?stat stage:limit ?limit ; stage:top ?top ; stage:bottom ?bottom . }
  FILTER (?count >= 4 && ?treated < ?limit && ?m2 > 0)
  BIND (xsd:double(?count) AS ?n)
  BIND (?n * ?n * (?n - 1) / ((?n - 2) * (?n - 2)) * ?m3 * ?m3 / (?m2 * ?m2 * ?m2) AS ?skew2)
  BIND (((?n + 1) * (?n * ?m4 / (?m2 * ?m2) - 3) + 6) * (?n - 1) / ((?n - 2) * (?n - 3))
        AS ?kurtosis)
  FILTER (?skew2 > 4 && ?kurtosis > 3.5)
  BIND (IF(?m3 >= 0, ?top, ?bottom) AS ?extreme)
  BIND (IF(?m3 >= 0, ?belowTop, ?aboveBottom) AS ?next)
} ;

DELETE { GRAPH ?stage { ?member stage:value ?extreme . } }
INSERT { GRAPH ?stage { ?member stage:value ?next . } }
WHERE {
  GRAPH ?stage {
    ?stat stage:extreme ?extreme ; stage:next ?next .
    ?member stage:member ?stat ; stage:value ?extreme .
  }
} ;

DELETE { GRAPH ?stage { ?stat stage:currentMean ?mean ; stage:top ?top ; stage:bottom ?bottom . } }
WHERE { GRAPH ?stage { ?stat stage:currentMean ?mean ; stage:top ?top ; stage:bottom ?bottom . } } ;

DELETE { GRAPH ?stage { ?stat stage:extreme ?extreme ; stage:next ?next . } }
WHERE { GRAPH ?stage { ?stat stage:extreme ?extreme ; stage:next ?next . } }
