# Assessment step 0, after winsorisation: the treated values and their statistics.
# For every (indicator, year) staged by assess-00-outliers: the points whose value was changed
# by assess-00-winsorise get their treated value (published by assess-01-normalisation and
# normalised in place of the city's value); the statistics of the (indicator, year) are recomputed from the treated values, by
# the same formulas as assess-00-statistics (min, max, sum, sum of squares, mean, scale, and
# the variance of the min-max-rescaled values with a first estimate of its square root, for
# the Newton steps of assess-00-square-root); the run's csp:OutlierCheck records how many
# points were winsorised.
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run (written)
#   ?stage      IRI of the run's staging graph (read and written)
#   ?framework  IRI of the assessment framework
# Writes: stage:treatedValue (staging graph); csp:winsorisedPoints on csp:OutlierCheck (run
#   graph).
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT { GRAPH ?stage { ?member stage:treatedValue ?value . } }
WHERE {
  GRAPH ?stage { ?member stage:member ?stat ; stage:value ?value ; stage:original ?original . }
  FILTER (?value != ?original)
} ;

INSERT { GRAPH ?run { ?check csp:winsorisedPoints ?treated . } }
WHERE {
  {
    SELECT ?stat (SUM(IF(?value != ?original, 1, 0)) AS ?treated) WHERE {
      GRAPH ?stage { ?member stage:member ?stat ; stage:value ?value ;
                             stage:original ?original . }
    }
    GROUP BY ?stat
  }
  GRAPH ?stage { ?stat stage:indicator ?indicator ; stage:year ?year . }
  GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level 0 ; csp:standsFor ?indicator . }
  BIND (IRI(CONCAT(STR(?run), "/outlier-check/", MD5(CONCAT(STR(?node), " ", STR(?year)))))
        AS ?check)
} ;

DELETE {
  GRAPH ?stage {
    ?stat stage:min ?oldMin ; stage:max ?oldMax ; stage:sum ?oldSum ;
          stage:squares ?oldSquares ; stage:mean ?oldMean ; stage:scale ?oldScale ;
          stage:radicand ?oldVariance ; stage:root ?oldRoot ; stage:rootSteps ?oldSteps .
  }
}
INSERT {
  GRAPH ?stage {
    ?stat stage:min ?min ; stage:max ?max ; stage:sum ?sum ; stage:squares ?squares ;
          stage:mean ?mean ; stage:scale ?scale ;
          stage:radicand ?variance ; stage:root ?r0 ; stage:rootSteps 0 .
  }
}
WHERE {
  {
    SELECT ?stat (MIN(?v) AS ?min) (MAX(?v) AS ?max) (COUNT(?v) AS ?n) (SUM(?v) AS ?sum)
           (SUM(?v * ?v) AS ?squares) (SUM(IF(?v != ?original, 1, 0)) AS ?treated)
    WHERE {
      GRAPH ?stage { ?member stage:member ?stat ; stage:value ?value ;
                             stage:original ?original . }
      # cast: Virtuoso refuses arithmetic on the decimals it stored, under an aggregate
      BIND (xsd:double(?value) AS ?v)
    }
    GROUP BY ?stat
  }
  FILTER (?treated > 0)
  GRAPH ?stage {
    ?stat stage:min ?oldMin ; stage:max ?oldMax ; stage:sum ?oldSum ;
          stage:squares ?oldSquares ; stage:mean ?oldMean ; stage:scale ?oldScale ;
          stage:radicand ?oldVariance ; stage:root ?oldRoot ; stage:rootSteps ?oldSteps .
  }
  BIND (100 / xsd:double(IF(?max = ?min, 1, ?max - ?min)) AS ?scale)
  BIND (xsd:double((?squares - ?sum * ?sum / xsd:double(?n)) / xsd:double(?n)) * ?scale * ?scale AS ?variance)
  BIND ((?variance + 1) / 2.0e0 AS ?r0)  # first estimate of the square root
  BIND (?sum / xsd:double(?n) AS ?mean)
}
